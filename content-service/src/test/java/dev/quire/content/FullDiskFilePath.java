package dev.quire.content;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import org.h2.store.fs.FileBase;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;

/**
 * An H2 file system ({@code jdbc:h2:fulldisk:/path}) whose writes fail as on a full disk ("No space
 * left on device") while {@link #full} is set: a test double for a disk that fills up, which a test
 * cannot do to a real disk without mounting one. Everything else is the real file.
 */
public final class FullDiskFilePath extends FilePathWrapper {

  /** For H2, which makes one per path by reflection. */
  public FullDiskFilePath() {}

  static volatile boolean full;

  private static final java.util.concurrent.atomic.AtomicBoolean REGISTERED =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Registers the {@code fulldisk:} scheme with H2 (once). */
  static void register() {
    if (REGISTERED.compareAndSet(false, true)) {
      FilePath.register(new FullDiskFilePath());
    }
  }

  @Override
  public String getScheme() {
    return "fulldisk";
  }

  @Override
  public FileChannel open(String mode) throws IOException {
    return new Channel(super.open(mode));
  }

  private static final class Channel extends FileBase {
    private final FileChannel base;

    Channel(FileChannel base) {
      this.base = base;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return base.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      if (full) {
        throw new IOException("No space left on device");
      }
      return base.write(src);
    }

    @Override
    public long position() throws IOException {
      return base.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      base.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return base.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      base.truncate(size);
      return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      base.force(metaData);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return base.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      base.close();
    }
  }
}
