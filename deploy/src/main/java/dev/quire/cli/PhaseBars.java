package dev.quire.cli;

import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;

/**
 * A progress bar per phase of a long job (an import's "checking", "media", "items", ...): a new
 * phase closes the bar of the one before. Reports arrive from one thread at a time.
 */
final class PhaseBars implements AutoCloseable {

  private String phase;
  private ProgressBar bar;

  synchronized void at(String phase, long done, long total) {
    if (!phase.equals(this.phase)) {
      close();
      this.phase = phase;
      bar =
          EmbeddingsCommand.bar(
              phase.substring(0, 1).toUpperCase(Locale.ROOT) + phase.substring(1), total);
    }
    if (bar.getMax() != total) {
      bar.maxHint(total);
    }
    bar.stepTo(done);
  }

  @Override
  public synchronized void close() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }
}
