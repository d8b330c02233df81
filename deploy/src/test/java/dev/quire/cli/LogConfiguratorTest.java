package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogConfiguratorTest {

  @Test
  void theQuireCommandLogsThroughTheCodeConfigurationNotXml() {
    // What logback set up for this JVM (the test class path has no logback-test.xml here).
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getAppender("STDERR")).isInstanceOf(ConsoleAppender.class);
    assertThat(context.getLogger("dev.quire").getEffectiveLevel()).isEqualTo(Level.INFO);
    assertThat(context.getLogger("org.apache.pekko.cluster").getEffectiveLevel())
        .isEqualTo(Level.WARN);
    assertThat(root.getLevel()).isEqualTo(Level.WARN);
    // DJL's warnings that a CPU-only machine has no GPU are not shown; its errors are.
    assertThat(context.getLogger(LogConfigurator.DJL_CUDA).getEffectiveLevel())
        .isEqualTo(Level.ERROR);
    assertThat(context.getLogger(LogConfigurator.DJL_ONNX_ENGINE).getEffectiveLevel())
        .isEqualTo(Level.ERROR);
  }

  @Test
  void levelsComeFromTheEnvironmentOrSystemProperties() {
    LoggerContext context = new LoggerContext();
    System.setProperty("QUIRE_LOG", "DEBUG");
    System.setProperty("QUIRE_PEKKO_LOG", "nonsense");
    try {
      LogConfigurator c = new LogConfigurator();
      c.setContext(context);
      assertThat(c.configure(context))
          .isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    } finally {
      System.clearProperty("QUIRE_LOG");
      System.clearProperty("QUIRE_PEKKO_LOG");
    }
    assertThat(context.getLogger("dev.quire.x").getEffectiveLevel()).isEqualTo(Level.DEBUG);
    assertThat(context.getLogger("org.apache.pekko").getLevel())
        .as("an unknown level name keeps the default")
        .isEqualTo(Level.WARN);
    context.stop();
  }

  @Test
  void aConfigurationFileTakesOver() {
    LoggerContext context = new LoggerContext();
    System.setProperty("logback.configurationFile", "/etc/quire/logback.xml");
    try {
      LogConfigurator c = new LogConfigurator();
      c.setContext(context);
      assertThat(c.configure(context)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
    } finally {
      System.clearProperty("logback.configurationFile");
    }
    assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext())
        .isFalse();
    context.stop();
  }

  /** A failure thrown from one place, as each entity's write fails when the disk is full. */
  private static Exception diskFull(String entity) {
    try {
      writeChunk();
    } catch (java.io.IOException e) {
      return new IllegalStateException("Failed to persist event for persistenceId " + entity, e);
    }
    throw new AssertionError();
  }

  private static void writeChunk() throws java.io.IOException {
    throw new java.io.IOException("No space left on device");
  }

  private static String line(
      PatternLayout layout, LoggerContext context, long at, String logger, Exception e) {
    var event =
        new ch.qos.logback.classic.spi.LoggingEvent(
            "test", context.getLogger(logger), Level.ERROR, "entity failed", e, null);
    event.setTimeStamp(at);
    return layout.doLayout(event);
  }

  @Test
  void aFailureRepeatedByManyEntitiesPrintsItsStackTraceOnceAMinute() {
    LoggerContext context = new LoggerContext();
    PatternLayout layout = LogConfigurator.layout(context);
    long t0 = 1_000_000_000L;
    String first = line(layout, context, t0, "dev.quire.content.Content", diskFull("Content|a"));
    assertThat(first)
        .contains("java.lang.IllegalStateException: Failed to persist event")
        .contains("Caused by: java.io.IOException: No space left on device")
        .contains("at dev.quire.cli.LogConfiguratorTest.writeChunk");
    String again =
        line(layout, context, t0 + 1_000, "dev.quire.content.Content", diskFull("Content|b"));
    assertThat(again)
        .as("one line: the message, then what it failed with")
        .contains(" ERROR d.quire.content.Content - entity failed")
        .contains("java.io.IOException: No space left on device (the same failure as logged")
        .contains("1 like it since")
        .doesNotContain("\tat ");
    assertThat(again.lines()).hasSize(2);
    assertThat(line(layout, context, t0 + 2_000, "dev.quire.content.Content", diskFull("c")))
        .contains("2 like it since");
    // Another logger, or another place, is another failure: printed in full.
    assertThat(line(layout, context, t0 + 3_000, "dev.quire.content.SlugClaim", diskFull("d")))
        .contains("\tat dev.quire.cli.LogConfiguratorTest.writeChunk");
    assertThat(
            line(
                layout,
                context,
                t0 + 3_000,
                "dev.quire.content.Content",
                new IllegalStateException("elsewhere", new java.io.IOException("No space"))))
        .contains("\tat dev.quire.cli.LogConfiguratorTest");
    // A minute on, the trace again.
    assertThat(line(layout, context, t0 + 61_000, "dev.quire.content.Content", diskFull("e")))
        .contains("Caused by: java.io.IOException: No space left on device")
        .contains("\tat dev.quire.cli.LogConfiguratorTest.writeChunk");
    // A line without a failure is one line.
    var plain =
        new ch.qos.logback.classic.spi.LoggingEvent(
            "test", context.getLogger("dev.quire.x"), Level.INFO, "hello", null, null);
    assertThat(layout.doLayout(plain))
        .endsWith(" INFO  dev.quire.x - hello" + System.lineSeparator());
    context.stop();
  }

  @Test
  void everyTraceIsPrintedWhenAsked() {
    LoggerContext context = new LoggerContext();
    System.setProperty("QUIRE_LOG_FULL_TRACES", "true");
    PatternLayout layout;
    try {
      layout = LogConfigurator.layout(context);
    } finally {
      System.clearProperty("QUIRE_LOG_FULL_TRACES");
    }
    line(layout, context, 0, "x", diskFull("a"));
    assertThat(line(layout, context, 1_000, "x", diskFull("b")))
        .contains("\tat dev.quire.cli.LogConfiguratorTest.writeChunk");
    context.stop();
  }
}
