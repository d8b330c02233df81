package dev.quire.content;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * Events as a checked-in fixture stores them, one per line: serializer id, manifest and payload,
 * tab-separated, as the journal holds them. Read through Pekko's serialization, as a replay does,
 * so a change of an event's shape that old journals cannot follow fails the fixture's test.
 */
public final class StoredEvents {

  private StoredEvents() {}

  /** The events of {@code src/test/resources/fixtures/<fixture>}, in order. */
  public static List<Object> read(ActorSystem<?> system, String fixture) throws Exception {
    Serialization serialization = SerializationExtension.get(system);
    List<Object> events = new ArrayList<>();
    for (String line :
        Files.readAllLines(
            Path.of("src/test/resources/fixtures/" + fixture), StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.split("\t", 3);
      events.add(
          serialization
              .deserialize(
                  parts[2].getBytes(StandardCharsets.UTF_8), Integer.parseInt(parts[0]), parts[1])
              .get());
    }
    return events;
  }
}
