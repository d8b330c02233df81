package dev.quire.cli;

import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Run in a child JVM by {@link KillNineTest}: writes content as fast as it can and prints {@code
 * ACK <id>} for every write the entity acknowledged, until it is killed.
 */
public final class KillNineWriter {
  public static void main(String[] args) throws Exception {
    var config = QuireNode.config(Map.of("quire.data-dir", args[0]));
    QuireNode node = QuireNode.start(config, false, System.err);
    LocalTarget target = new LocalTarget(node.system(), Duration.ofSeconds(30), "kill-test");
    Semaphore inFlight = new Semaphore(64);
    System.out.println("READY");
    System.out.flush();
    for (int i = 0; ; i++) {
      inFlight.acquire();
      String slug = "kill-" + i;
      target
          .create(
              ContentKind.POST,
              new ContentFields("Post " + i, slug, "body " + i, "", List.of(), "", "", null, ""))
          .whenComplete(
              (s, e) -> {
                if (e == null) {
                  synchronized (System.out) {
                    System.out.println("ACK " + s.id() + " " + s.fields().slug());
                    System.out.flush();
                  }
                }
                inFlight.release();
              });
    }
  }
}
