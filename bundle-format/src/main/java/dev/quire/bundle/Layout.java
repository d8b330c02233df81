package dev.quire.bundle;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/** Entry names, the checksum rules and the JSON mapping of formats 1.x and 2.x (see SPEC.md). */
final class Layout {

  static final String MANIFEST = "manifest.json";
  static final String ITEMS_PREFIX = "content/items-";
  static final String EVENTS_PREFIX = "history/events-";
  static final String MEDIA_INDEX = "media/index.jsonl";
  static final String MEDIA_PREFIX = "media/";
  static final String REDIRECTS = "redirects.jsonl";
  static final String MENUS = "menus.json";
  static final String SETTINGS = "settings.json";

  /** The admin's accounts: format 2.x only. */
  static final String USERS = "users.jsonl";

  /**
   * Every name a bundle may contain ({@link #USERS} only from 2.0). Anything else is refused, never
   * used as a path.
   */
  static final Pattern VALID_NAME =
      Pattern.compile(
          "manifest\\.json|content/items-[0-9]{6}\\.jsonl|history/events-[0-9]{6}\\.jsonl"
              + "|media/index\\.jsonl|media/[0-9a-f]{64}|redirects\\.jsonl|menus\\.json"
              + "|settings\\.json|users\\.jsonl");

  static final Pattern SLUG = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

  /** An item's id: as Quire makes them (UUIDs) and as the site's read model holds them. */
  static final Pattern ITEM_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

  /** The longest name of who made a step of a history (the site's longest author name). */
  static final int MAX_ACTOR = 120;

  static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(SerializationFeature.INDENT_OUTPUT)
          // Minor versions may add fields: a 1.0 reader ignores what it does not know.
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private Layout() {}

  static String part(String prefix, int n) {
    return String.format("%s%06d.jsonl", prefix, n);
  }

  static boolean isMediaBlob(String name) {
    return name.startsWith(MEDIA_PREFIX) && !name.equals(MEDIA_INDEX);
  }

  static boolean isRecordEntry(String name) {
    return !isMediaBlob(name);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }

  /** SHA-256 over "name\tsize\tsha256\n" for every entry but the manifest, sorted by name. */
  static String rootChecksum(List<Manifest.Entry> entries) {
    MessageDigest d = sha256();
    entries.stream()
        .sorted(Comparator.comparing(Manifest.Entry::name))
        .forEach(
            e ->
                d.update(
                    (e.name() + "\t" + e.size() + "\t" + e.sha256() + "\n")
                        .getBytes(StandardCharsets.UTF_8)));
    return hex(d.digest());
  }
}
