package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
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
}
