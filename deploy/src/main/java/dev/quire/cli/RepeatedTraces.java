package dev.quire.cli;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.CoreConstants;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stack trace of a logged failure, printed in full once a {@link #window} per place it failed
 * (the logger, the outermost and the innermost exception's class, and the frame the innermost was
 * thrown from), and as one line naming that first print in between. When the disk fills or the
 * database goes away, every entity that was writing fails the same way: a 1,000-file import into a
 * full disk logged 250 such failures, each with a ~120-line trace, 32,000 lines in which the
 * command's own summary was lost. Each failure still gets its own line (which entity, which event);
 * only the identical trace is left out. {@code QUIRE_LOG_FULL_TRACES=true} prints every one.
 */
public final class RepeatedTraces extends ThrowableProxyConverter {

  /** How long a printed trace stands for the same failure's next ones. */
  static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);

  /** The most failure places remembered (the oldest are forgotten first). */
  static final int MAX_PLACES = 256;

  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

  private final Duration window;
  private final boolean everyTrace;

  private record Printed(long at, int since) {}

  private final Map<String, Printed> printed =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Printed> eldest) {
          return size() > MAX_PLACES;
        }
      };

  public RepeatedTraces() {
    this(DEFAULT_WINDOW, Boolean.parseBoolean(LogConfigurator.setting("QUIRE_LOG_FULL_TRACES")));
  }

  RepeatedTraces(Duration window, boolean everyTrace) {
    this.window = window;
    this.everyTrace = everyTrace;
  }

  @Override
  public String convert(ILoggingEvent event) {
    IThrowableProxy tp = event.getThrowableProxy();
    if (tp == null || everyTrace) {
      return super.convert(event);
    }
    IThrowableProxy root = tp;
    for (int depth = 0; root.getCause() != null && depth < MAX_CAUSES; depth++) {
      root = root.getCause();
    }
    var frames = root.getStackTraceElementProxyArray();
    String place =
        event.getLoggerName()
            + '|'
            + tp.getClassName()
            + '|'
            + root.getClassName()
            + '|'
            + (frames == null || frames.length == 0 ? "" : frames[0].getSTEAsString());
    long now = event.getTimeStamp();
    Printed first;
    synchronized (printed) {
      first = printed.get(place);
      if (first == null || now - first.at() >= window.toMillis()) {
        printed.put(place, new Printed(now, 0));
        first = null;
      } else {
        printed.put(place, new Printed(first.at(), first.since() + 1));
      }
    }
    if (first == null) {
      return super.convert(event);
    }
    return "  "
        + root.getClassName()
        + ": "
        + root.getMessage()
        + " (the same failure as logged with its stack trace at "
        + CLOCK.format(Instant.ofEpochMilli(first.at()))
        + "; "
        + (first.since() + 1)
        + " like it since)"
        + CoreConstants.LINE_SEPARATOR;
  }

  /** How deep causes are followed to find the innermost one (a cycle would not end). */
  private static final int MAX_CAUSES = 32;
}
