package dev.quire.bundle;

/** Long work reports here, so a command line can draw a progress bar. */
@FunctionalInterface
public interface ProgressListener {

  ProgressListener NONE = (phase, done, total) -> {};

  /** {@code total} is -1 when unknown. */
  void progress(String phase, long done, long total);
}
