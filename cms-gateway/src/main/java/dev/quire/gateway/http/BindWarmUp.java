package dev.quire.gateway.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work the gateway's HTTP bind always does, done early on a thread of its own while the node's
 * actor system starts (the main thread leaves about a third of two cores idle then). Pekko HTTP
 * fuses every server connection with a pass-through TLS stage (TLSPlacebo) whose class, when first
 * loaded, asks the JDK for its default {@code SSLContext}, which reads and parses the JDK's trusted
 * certificates: ~100-160 ms of CPU on the main thread, while the first page waits for the bind.
 * Started here, the bind finds it done (or waits on the class's initialisation, never doing it
 * twice). Nothing here has an effect beyond loading classes; a failure is logged and the bind does
 * the work as before.
 */
public final class BindWarmUp {

  private static final Logger LOG = LoggerFactory.getLogger(BindWarmUp.class);

  /** Pekko HTTP's pass-through TLS stage for plain-HTTP connections (see above). */
  static final String TLS_PLACEBO = "org.apache.pekko.stream.scaladsl.TLSPlacebo$";

  private BindWarmUp() {}

  /** Starts the warm-up on a daemon thread and returns it. */
  public static Thread start() {
    Thread t =
        new Thread(
            () -> {
              try {
                Class.forName(TLS_PLACEBO, true, BindWarmUp.class.getClassLoader());
              } catch (ClassNotFoundException | LinkageError e) {
                // The bind meets the same failure (a trust store the JDK cannot read, say) and
                // reports it as "could not initialise class": this names the cause first.
                LOG.warn("warming up the HTTP bind failed: {}", e.toString());
              }
            },
            "quire-bind-warm-up");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
