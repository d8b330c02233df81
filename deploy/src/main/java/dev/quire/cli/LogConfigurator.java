package dev.quire.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The quire command's logging, set up in code: one console appender on standard error, WARN for
 * libraries, INFO for Quire. Levels: {@code QUIRE_LOG} (Quire's, default INFO), {@code
 * QUIRE_PEKKO_LOG} (Pekko's, default WARN) and {@code QUIRE_ROOT_LOG} (everything else, default
 * WARN), as environment variables or system properties.
 *
 * <p>Why not a {@code logback.xml}: logback reads XML through Joran and the JDK's XML parser, ~250
 * ms and ~1,000 classes before the first log line, on every command (measured on this machine, with
 * and without the class archive); this takes a few milliseconds. A site that wants its own logging
 * points logback at a file ({@code QUIRE_JAVA_OPTS=-Dlogback.configurationFile=FILE}), and this
 * steps aside, as it does for a {@code logback-test.xml} on the class path. Registered through
 * {@code META-INF/services/ch.qos.logback.classic.spi.Configurator}.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {

  static final String TCP_LISTENER = "org.apache.pekko.io.TcpListener";

  static final String DJL_CUDA = "ai.djl.util.cuda.CudaUtils";

  static final String DJL_ONNX_ENGINE = "ai.djl.onnxruntime.engine.OrtEngine";

  /**
   * Each line; a failure's stack trace follows it through {@link RepeatedTraces} ({@code
   * %repeatedEx}), in full once a minute per place it failed.
   */
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{24} - %msg%n%repeatedEx";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    ClassLoader loader = LogConfigurator.class.getClassLoader();
    if (System.getProperty("logback.configurationFile") != null
        || loader.getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    var encoder = new ch.qos.logback.core.encoder.LayoutWrappingEncoder<ILoggingEvent>();
    encoder.setContext(context);
    encoder.setLayout(layout(context));
    encoder.start();
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("STDERR");
    console.setTarget("System.err");
    console.setEncoder(encoder);
    // A port that cannot be bound is reported by the command that asked for it, in one line
    // ("error: cannot serve HTTP: ... Address already in use"), not as Pekko's stack trace too.
    // Only that message: the listener's other errors (a failed accept) are still logged.
    ch.qos.logback.core.filter.Filter<ILoggingEvent> bindFailed =
        new ch.qos.logback.core.filter.Filter<>() {
          @Override
          public ch.qos.logback.core.spi.FilterReply decide(ILoggingEvent e) {
            return TCP_LISTENER.equals(e.getLoggerName())
                    && e.getMessage() != null
                    && e.getMessage().startsWith("Bind failed")
                ? ch.qos.logback.core.spi.FilterReply.DENY
                : ch.qos.logback.core.spi.FilterReply.NEUTRAL;
          }
        };
    bindFailed.start();
    console.addFilter(bindFailed);
    console.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(level("QUIRE_ROOT_LOG", Level.WARN));
    root.addAppender(console);
    context.getLogger("org.apache.pekko").setLevel(level("QUIRE_PEKKO_LOG", Level.WARN));
    context.getLogger("com.zaxxer.hikari").setLevel(Level.WARN);
    context.getLogger("slick").setLevel(Level.WARN);
    // PDFBox warns at the first PDF that it draws the Symbol and ZapfDingbats standard fonts with
    // the Liberation Sans in its jar, as every server without those fonts installed does: not
    // something an operator can or need act on.
    context.getLogger("org.apache.pdfbox.pdmodel.font.PDType1Font").setLevel(Level.ERROR);
    // DJL asks for a GPU each time the embedding model loads (at the first search after an unload
    // too), and warns on every machine without CUDA that it found none, and that the CPU build of
    // ONNX Runtime Quire ships has no CUDA provider: three WARN lines per load about what Quire is
    // built to do.
    context.getLogger(DJL_CUDA).setLevel(Level.ERROR);
    context.getLogger(DJL_ONNX_ENGINE).setLevel(Level.ERROR);
    context.getLogger("dev.quire").setLevel(level("QUIRE_LOG", Level.INFO));
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** The console's layout: {@link #PATTERN}, with {@link RepeatedTraces} for stack traces. */
  static PatternLayout layout(LoggerContext context) {
    PatternLayout layout = new PatternLayout();
    layout.setContext(context);
    layout.getInstanceConverterMap().put("repeatedEx", RepeatedTraces::new);
    layout.setPattern(PATTERN);
    layout.start();
    return layout;
  }

  /** A level from a system property or the environment; an unknown name gives the default. */
  static Level level(String name, Level fallback) {
    return Level.toLevel(setting(name), fallback);
  }

  /** A setting from a system property or else the environment; null when neither has it. */
  static String setting(String name) {
    return System.getProperty(name, System.getenv(name));
  }
}
