package dev.quire.gateway.site;

import dev.quire.protocol.SiteProfile;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The site's settings as this gateway shows them now: the configuration's ({@link #configured}),
 * with the editors' profile over them once it is known. Replaced whole, never half-updated; those
 * who keep something made from them (the memoised pages) are told of each change.
 */
public final class LiveSettings {

  private final SiteSettings configured;
  private final Set<String> pinned;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> known = new CompletableFuture<>();
  private volatile SiteSettings current;
  private volatile SiteProfile profile = SiteProfile.NONE;
  private long version = -1; // guarded by this

  public LiveSettings(SiteSettings configured, Set<String> pinned) {
    this.configured = configured;
    this.pinned = Set.copyOf(pinned);
    this.current = configured;
  }

  /** Settings that never change: the configuration's (tests, and gateways without the module). */
  public static LiveSettings fixed(SiteSettings configured) {
    LiveSettings s = new LiveSettings(configured, Set.of());
    s.known.complete(null);
    return s;
  }

  public SiteSettings get() {
    return current;
  }

  /** The configuration's settings, under the profile. */
  public SiteSettings configured() {
    return configured;
  }

  /**
   * The profile settings an environment variable sets on this gateway: the profile's are not used.
   */
  public Set<String> pinned() {
    return pinned;
  }

  /** The editors' profile last installed. */
  public SiteProfile profile() {
    return profile;
  }

  /** Completes once the editors' profile was installed (or there is none to wait for). */
  public CompletionStage<Void> known() {
    return known.copy();
  }

  /** Calls {@code listener} after each change. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /**
   * Shows {@code next}, the profile at {@code nextVersion}, unless one at that version or later is
   * shown already (answers to reads may arrive out of order); tells the listeners when what shows
   * changed.
   */
  public synchronized void install(long nextVersion, SiteProfile next) {
    if (nextVersion <= version) {
      return;
    }
    version = nextVersion;
    SiteSettings before = current;
    profile = next;
    current = configured.with(next, pinned);
    known.complete(null);
    if (!current.equals(before)) {
      listeners.forEach(Runnable::run);
    }
  }
}
