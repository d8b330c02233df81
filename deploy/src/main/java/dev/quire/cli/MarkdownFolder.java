package dev.quire.cli;

import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentRules;
import dev.quire.protocol.FieldError;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The Markdown folder format: one {@code *.md} file per item, YAML front matter between {@code ---}
 * lines ({@code title}, {@code slug}, {@code date}, {@code publish_date}, {@code tags} as a comma
 * list or YAML list, {@code description}, {@code cover_image}, {@code cover_alt} (what the cover
 * shows, its alt text), {@code draft}, {@code kind}, {@code author}), then the Markdown body. Front
 * matter is parsed with SnakeYAML's node API so every problem can name its file and line.
 */
public final class MarkdownFolder {

  /** What an item id looks like (a UUID as the site makes them, or an imported one). */
  static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9-]{1,64}");

  public static final Set<String> KEYS =
      Set.of(
          "title",
          "slug",
          "date",
          "publish_date",
          "tags",
          "description",
          "cover_image",
          "cover_alt",
          "draft",
          "kind",
          "author",
          "id");

  /** Larger files are refused before they are read. */
  private final long maxFileBytes;

  private final long maxFolderBytes;

  private final ContentRules rules;

  /** The site's time zone: a date without a time ({@code date: 2026-05-06}) is its midnight. */
  private final ZoneId zone;

  public MarkdownFolder(ContentRules rules, long maxFileBytes) {
    this(rules, maxFileBytes, Long.MAX_VALUE);
  }

  public MarkdownFolder(ContentRules rules, long maxFileBytes, long maxFolderBytes) {
    this(rules, maxFileBytes, maxFolderBytes, ZoneOffset.UTC);
  }

  /**
   * {@code maxFolderBytes}: the folder is read whole before anything is written, so one holding
   * more Markdown than this is refused before it is read. {@code zone}: the site's ({@code
   * quire.site.time-zone}), where a date without a time falls; at midnight UTC, a site in New York
   * showed a post dated 2024-03-05 as of 4 March (the admin's form took the site's zone already).
   */
  public MarkdownFolder(ContentRules rules, long maxFileBytes, long maxFolderBytes, ZoneId zone) {
    this.rules = rules;
    this.maxFileBytes = maxFileBytes;
    this.maxFolderBytes = maxFolderBytes;
    this.zone = zone;
  }

  /** One file as read: what to store, and how it should be published. */
  /**
   * {@code id}: the item the file was exported from, when it says (an export writes it), so that a
   * file whose slug was changed renames its item instead of making a new one; null otherwise.
   * {@code formerSlugs}: where an import before 2026-12-07 put a file whose slug was made from a
   * title with no Latin letter ("untitled", or WordPress's "untitled-<id>"), looked at (in order)
   * when no item holds its slug now, and taken only if that item has the file's title and kind: the
   * file then renames it instead of making a second one.
   */
  public record Entry(
      Path file,
      ContentKind kind,
      ContentFields fields,
      boolean draft,
      Instant publishAt,
      int slugLine,
      String id,
      int kindLine,
      List<String> formerSlugs) {
    public Entry {
      formerSlugs = formerSlugs == null ? List.of() : List.copyOf(formerSlugs);
    }

    public Entry(
        Path file,
        ContentKind kind,
        ContentFields fields,
        boolean draft,
        Instant publishAt,
        int slugLine) {
      this(file, kind, fields, draft, publishAt, slugLine, null, slugLine, List.of());
    }
  }

  /** A problem, printed as {@code file:line: field: message}. */
  public record Problem(Path file, int line, String field, String message) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + field + ": " + message;
    }
  }

  public record Result(List<Entry> entries, List<Problem> problems, List<Problem> warnings) {}

  /** How deep {@link #unread} looks for Markdown the import does not read. */
  private static final int UNREAD_DEPTH = 4;

  /**
   * A warning when Markdown in {@code dir} is not read: files in subfolders (a Hugo tree of {@code
   * post/index.md}), or named {@code .MD}. The folder's own {@code *.md} files are what is read,
   * and such a tree imported "0 files" without a word.
   */
  static java.util.Optional<Problem> unread(Path dir) throws IOException {
    List<Path> unread = new ArrayList<>();
    // A walk that skips what it cannot read (lost+found, a root-owned folder): this is a warning,
    // and must not fail an import that reads none of it.
    Files.walkFileTree(
        dir,
        java.util.EnumSet.noneOf(java.nio.file.FileVisitOption.class),
        UNREAD_DEPTH,
        new java.nio.file.SimpleFileVisitor<>() {
          @Override
          public java.nio.file.FileVisitResult visitFile(
              Path p, java.nio.file.attribute.BasicFileAttributes a) {
            String name = String.valueOf(p.getFileName());
            if (a.isRegularFile()
                && name.toLowerCase(java.util.Locale.ROOT).endsWith(".md")
                && (!dir.equals(p.getParent()) || !name.endsWith(".md"))) {
              unread.add(p);
            }
            return java.nio.file.FileVisitResult.CONTINUE;
          }

          @Override
          public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) {
            return java.nio.file.FileVisitResult.CONTINUE;
          }
        });
    unread.sort(null);
    if (unread.isEmpty()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        new Problem(
            dir,
            1,
            "folder",
            unread.size()
                + " Markdown file(s) are not read (e.g. "
                + dir.relativize(unread.get(0))
                + "): only the folder's own files named *.md are, not those in subfolders or"
                + " named *.MD"));
  }

  public Result read(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException(dir + " is not a directory");
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files =
          s.filter(p -> p.toString().endsWith(".md") && Files.isRegularFile(p)).sorted().toList();
    }
    List<Entry> entries = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    List<Problem> warnings = new ArrayList<>();
    unread(dir).ifPresent(warnings::add);
    // A link in the folder to a file outside it is not read: the folder is what was named, and a
    // link to /etc/passwd or to another person's drafts would be read with the importer's rights
    // (a WordPress import's --media refuses such links too). A link within the folder is read.
    Path real = dir.toRealPath();
    List<Path> inside = new ArrayList<>();
    Map<Path, Path> targets = new HashMap<>();
    for (Path f : files) {
      Path target = f.toRealPath();
      if (target.startsWith(real)) {
        inside.add(f);
        targets.put(f, target);
      } else {
        problems.add(
            new Problem(
                f,
                1,
                "file",
                "is a link to "
                    + target
                    + ", outside "
                    + dir
                    + ": copy the file into the folder to import it"));
      }
    }
    files = inside;
    long total = 0;
    for (Path f : files) {
      total += Files.size(f);
    }
    if (total > maxFolderBytes) {
      problems.add(
          new Problem(
              dir,
              1,
              "folder",
              "holds "
                  + total
                  + " bytes of Markdown in "
                  + files.size()
                  + " files, at most "
                  + maxFolderBytes
                  + " allowed (quire.cli.max-folder-bytes; raise it with the heap, QUIRE_HEAP)"));
      return new Result(entries, problems, warnings);
    }
    Map<String, Path> slugs = new HashMap<>();
    Map<String, Path> ids = new HashMap<>();
    for (Path f : files) {
      Read r = readFile(f, targets.get(f), problems, warnings);
      // A file with other problems still claims its slug: a second file with the same slug is
      // reported now, not in the next run after the first problems are fixed.
      Path other = r.slug() == null ? null : slugs.putIfAbsent(r.slug(), f);
      if (other != null) {
        problems.add(
            new Problem(f, r.slugLine(), "slug", "'" + r.slug() + "' is also used by " + other));
        continue;
      }
      Path sameId =
          r.entry() == null || r.entry().id() == null ? null : ids.putIfAbsent(r.entry().id(), f);
      if (sameId != null) {
        problems.add(
            new Problem(
                f, r.idLine(), "id", "'" + r.entry().id() + "' is also the id in " + sameId));
        continue;
      }
      if (r.entry() != null) {
        entries.add(r.entry());
      }
    }
    return new Result(entries, problems, warnings);
  }

  /**
   * {@code bytes} as UTF-8 text, or null when they are not: then {@code badAt[0]} is the offset of
   * the first byte that does not begin or continue a valid sequence.
   */
  static String utf8(byte[] bytes, int[] badAt) {
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
    CoderResult r = decoder.decode(in, out, true);
    if (r.isError()) {
      badAt[0] = in.position();
      return null;
    }
    decoder.flush(out);
    return out.flip().toString();
  }

  /** As the site stores it (a YAML block keeps its last line break): a re-import then matches. */
  private static String stripped(String s) {
    return s == null ? null : s.strip();
  }

  /** Where in a body the content rules found a character ("at line 2, column 5" of the body). */
  private static final java.util.regex.Pattern BODY_AT =
      java.util.regex.Pattern.compile("at line (\\d+), column (\\d+)");

  /** A file read: its entry when it has no problem, and the slug it asks for when it has one. */
  record Read(Entry entry, String slug, int slugLine, int idLine) {
    static final Read NOTHING = new Read(null, null, 1, 1);
  }

  /**
   * The file {@code f} (named so in problems), read from {@code target}, where it resolved inside
   * the folder: a link swapped after the check is not followed out of it (the last step is opened
   * without following a link).
   */
  Read readFile(Path f, Path target, List<Problem> problems, List<Problem> warnings)
      throws IOException {
    int before = problems.size();
    long size = Files.size(target);
    if (size > maxFileBytes) {
      problems.add(
          new Problem(f, 1, "file", "is " + size + " bytes, at most " + maxFileBytes + " allowed"));
      return Read.NOTHING;
    }
    byte[] bytes;
    try (var in = Files.newInputStream(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxFileBytes + 1));
    }
    if (bytes.length > maxFileBytes) {
      problems.add(
          new Problem(
              f, 1, "file", "is more than " + maxFileBytes + " bytes, at most that allowed"));
      return Read.NOTHING;
    }
    int[] badAt = new int[1];
    String text = utf8(bytes, badAt);
    if (text == null) {
      int at = badAt[0];
      int line = 1;
      for (int i = 0; i < at; i++) {
        if (bytes[i] == '\n') {
          line++;
        }
      }
      problems.add(
          new Problem(
              f,
              line,
              "file",
              "is not UTF-8 text (byte "
                  + (at + 1)
                  + " is not valid UTF-8; save the file as UTF-8 and import again)"));
      return Read.NOTHING;
    }
    // Windows' CRLF and old Macs' lone CR: lines as the site stores them.
    text = text.replace("\r\n", "\n").replace('\r', '\n');
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    // A fence line may end in spaces or tabs, as editors leave them.
    java.util.regex.Matcher open = OPENING_FENCE.matcher(text);
    if (!open.lookingAt()) {
      problems.add(new Problem(f, 1, "front matter", "the file must start with a '---' line"));
      return Read.NOTHING;
    }
    java.util.regex.Matcher close = CLOSING_FENCE.matcher(text);
    if (!close.find(open.end() - 1)) {
      problems.add(new Problem(f, 1, "front matter", "has no closing '---' line"));
      return Read.NOTHING;
    }
    int end = close.start();
    String yaml = text.substring(open.end(), end + 1);
    String body = text.substring(close.end());
    body = body.startsWith("\n") ? body.substring(1) : body;

    Map<String, Node> nodes = new LinkedHashMap<>();
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      options.setMaxAliasesForCollections(10);
      options.setCodePointLimit(1_000_000);
      Node root = new Yaml(options).compose(new StringReader(yaml));
      if (root != null && !(root instanceof MappingNode)) {
        problems.add(new Problem(f, 2, "front matter", "must be 'key: value' lines"));
        return Read.NOTHING;
      }
      if (root != null) {
        for (NodeTuple t : ((MappingNode) root).getValue()) {
          if (t.getKeyNode() instanceof ScalarNode k) {
            // SnakeYAML checks duplicate keys when it builds objects, not when it composes
            // nodes: a second 'title:' silently won.
            Node first = nodes.putIfAbsent(k.getValue(), t.getValueNode());
            if (first != null) {
              problems.add(
                  new Problem(
                      f,
                      line(k),
                      k.getValue(),
                      "is given twice (first on line " + line(first) + ")"));
            }
          }
        }
      }
    } catch (RuntimeException e) {
      int line = 2;
      if (e instanceof org.yaml.snakeyaml.error.MarkedYAMLException m
          && m.getProblemMark() != null) {
        line = m.getProblemMark().getLine() + 2;
      }
      String msg = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
      if (e instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblem() != null) {
        // What is wrong ("found character '\t(TAB)' that cannot start any token"), then what
        // the parser was doing: its message's first line held only the latter.
        // On one line, as every problem is printed.
        msg =
            (m.getProblem().strip()
                    + (m.getContext() == null ? "" : " (" + m.getContext().strip() + ")"))
                .replaceAll("\\s*\\R\\s*", " ");
      }
      if (e instanceof org.yaml.snakeyaml.reader.ReaderException r) {
        // A character YAML does not allow: its own line, and which it is (it was always line 2,
        // "special characters are not allowed").
        // The position counts code points, not UTF-16 units.
        int at =
            yaml.offsetByCodePoints(
                0, Math.min(Math.max(r.getPosition(), 0), yaml.codePointCount(0, yaml.length())));
        line = 2 + (int) yaml.substring(0, at).chars().filter(c -> c == '\n').count();
        msg =
            String.format(
                "U+%04X is not allowed here (a control character: was the file saved in another"
                    + " encoding, such as Windows-1252?)",
                r.getCodePoint());
      }
      problems.add(new Problem(f, line, "front matter", "is not valid YAML: " + msg));
      return Read.NOTHING;
    }
    for (Map.Entry<String, Node> e : nodes.entrySet()) {
      if (!KEYS.contains(e.getKey())) {
        warnings.add(new Problem(f, line(e.getValue()), e.getKey(), "unknown key, ignored"));
      } else {
        explicitTag(e.getValue())
            .ifPresent(
                t ->
                    problems.add(
                        new Problem(
                            f,
                            line(t),
                            e.getKey(),
                            "the YAML tag "
                                + t.getTag().getValue()
                                + " is not read (its value would be taken as plain text): leave"
                                + " the tag out")));
      }
    }
    // One line, as the site keeps them: a re-import then finds nothing changed.
    String title = ContentRules.oneLine(scalar(f, nodes, "title", problems));
    String slug = scalar(f, nodes, "slug", problems);
    if (slug == null && title != null) {
      // A title with nothing to spell a slug with (emoji alone) takes the file's name instead:
      // "untitled" for every such file would match each to whichever item holds that slug.
      String name = f.getFileName().toString().replaceFirst("(?i)\\.md$", "");
      slug =
          ContentRules.spellsASlug(title) || !ContentRules.spellsASlug(name)
              ? rules.slugFor(title)
              : rules.slugFor(name);
    }
    String id = scalar(f, nodes, "id", problems);
    if (id != null && !ID.matcher(id).matches()) {
      problems.add(
          new Problem(
              f,
              line(nodes.get("id")),
              "id",
              "'" + id + "' is not an item id (letters, digits and hyphens, as an export writes)"));
    }
    String kindText = scalar(f, nodes, "kind", problems);
    ContentKind kind = ContentKind.POST;
    if (kindText != null) {
      try {
        kind = ContentKind.parse(kindText);
      } catch (IllegalArgumentException ex) {
        problems.add(new Problem(f, line(nodes.get("kind")), "kind", ex.getMessage()));
      }
    }
    Instant date = date(f, nodes, "date", problems, zone);
    Instant publishAt = date(f, nodes, "publish_date", problems, zone);
    String draftText = scalar(f, nodes, "draft", problems);
    boolean draft = false;
    if (draftText != null) {
      if (!draftText.equals("true") && !draftText.equals("false")) {
        problems.add(
            new Problem(
                f,
                line(nodes.get("draft")),
                "draft",
                "must be true or false, was '" + draftText + "'"));
      }
      draft = draftText.equals("true");
    }
    List<String> tags = tags(f, nodes.get("tags"), problems);
    boolean titleMissing = title == null && !nodes.containsKey("title");
    if (titleMissing) {
      problems.add(new Problem(f, 1, "title", "is required"));
    }
    ContentFields fields =
        new ContentFields(
            title,
            slug,
            body,
            stripped(scalar(f, nodes, "description", problems)),
            tags,
            stripped(scalar(f, nodes, "cover_image", problems)),
            ContentRules.oneLine(scalar(f, nodes, "author", problems)),
            date,
            stripped(scalar(f, nodes, "cover_alt", problems)));
    for (FieldError err : rules.validate(kind, fields)) {
      String key = err.field();
      if (titleMissing && (key.equals("title") || key.equals("slug") && slug == null)) {
        // Said once already: "title: is required" (a missing title gave two or three problems,
        // its own slug's among them).
        continue;
      }
      Node n = nodes.get(key);
      int line = n != null ? line(n) : key.equals("body") ? lineOf(text, end) : 1;
      String message = err.message();
      java.util.regex.Matcher at = BODY_AT.matcher(message);
      if (key.equals("body") && at.find()) {
        // The body's own line, as a line of the file: one number for the reader to go to.
        line += Integer.parseInt(at.group(1)) - 1;
        message =
            message.substring(0, at.start())
                + "at column "
                + at.group(2)
                + message.substring(at.end());
      }
      problems.add(new Problem(f, line, key, message));
    }
    int slugLine =
        nodes.containsKey("slug")
            ? line(nodes.get("slug"))
            : nodes.containsKey("title") ? line(nodes.get("title")) : 1;
    int idLine = nodes.containsKey("id") ? line(nodes.get("id")) : slugLine;
    if (problems.size() > before) {
      return new Read(null, slug, slugLine, idLine);
    }
    return new Read(
        new Entry(
            f,
            kind,
            fields,
            draft,
            publishAt != null ? publishAt : date,
            slugLine,
            id,
            nodes.containsKey("kind") ? line(nodes.get("kind")) : slugLine,
            // A slug made from a title that made "untitled" before: where that import put it.
            !nodes.containsKey("slug")
                    && title != null
                    && ContentRules.wasUntitled(title)
                    && !ContentRules.UNTITLED.equals(slug)
                ? List.of(ContentRules.UNTITLED)
                : List.of()),
        slug,
        slugLine,
        idLine);
  }

  private static int lineOf(String text, int index) {
    int line = 1;
    for (int i = 0; i < index && i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        line++;
      }
    }
    return line + 2;
  }

  /** YAML's own kinds of value: what front matter written by hand or by an export holds. */
  private static final Set<String> PLAIN_TAGS =
      Set.of("str", "int", "float", "bool", "null", "timestamp", "seq", "map").stream()
          .map(t -> "tag:yaml.org,2002:" + t)
          .collect(java.util.stream.Collectors.toSet());

  /**
   * The first node in {@code n} with a tag other than YAML's plain kinds ({@code !!binary}, {@code
   * !custom}): such a value was taken as its text ({@code description: !!binary aGVsbG8=} became
   * "aGVsbG8="), so it is refused rather than read wrong.
   */
  private static java.util.Optional<Node> explicitTag(Node n) {
    if (!PLAIN_TAGS.contains(n.getTag().getValue())) {
      return java.util.Optional.of(n);
    }
    if (n instanceof SequenceNode seq) {
      for (Node item : seq.getValue()) {
        var inner = explicitTag(item);
        if (inner.isPresent()) {
          return inner;
        }
      }
    }
    return java.util.Optional.empty();
  }

  private static int line(Node n) {
    // Node marks count from 0 within the front matter, which starts on line 2.
    return n.getStartMark().getLine() + 2;
  }

  private static String scalar(
      Path f, Map<String, Node> nodes, String key, List<Problem> problems) {
    Node n = nodes.get(key);
    if (n == null) {
      return null;
    }
    if (n instanceof ScalarNode s) {
      // A plain null or ~ (PyYAML writes None so) is no value, not the text "null"; a quoted
      // "null" is text. The slug is written unquoted by the export, so "null" is a slug there.
      return isNull(s) && (s.getValue().isEmpty() || !key.equals("slug")) ? null : s.getValue();
    }
    problems.add(new Problem(f, line(n), key, "must be a single value"));
    return null;
  }

  /**
   * A date and time: {@code T} or a space between them, seconds and their fraction optional, then
   * an offset ({@code Z}, {@code +02:00}, {@code +0200}, after a space as Jekyll writes it) or
   * none.
   */
  private static final java.time.format.DateTimeFormatter DATE_TIME =
      new java.time.format.DateTimeFormatterBuilder()
          .append(java.time.format.DateTimeFormatter.ISO_LOCAL_DATE)
          .appendPattern("['T'][' ']")
          .append(java.time.format.DateTimeFormatter.ISO_LOCAL_TIME)
          .appendPattern("[' '][XXX][XX][X]")
          .toFormatter(java.util.Locale.ROOT)
          // 31 February is not a date (SMART, the builder's default, read it as the 28th).
          .withResolverStyle(java.time.format.ResolverStyle.STRICT)
          .withChronology(java.time.chrono.IsoChronology.INSTANCE);

  /**
   * A plain scalar YAML reads as null: empty, {@code null}, {@code Null}, {@code NULL}, {@code ~}.
   */
  private static boolean isNull(ScalarNode s) {
    return s.getTag().getValue().endsWith(":null");
  }

  private static Instant date(
      Path f, Map<String, Node> nodes, String key, List<Problem> problems, ZoneId zone) {
    String v = scalar(f, nodes, key, problems);
    if (v == null || v.isBlank()) {
      return null;
    }
    Instant at;
    try {
      if (v.length() == 10) {
        at = LocalDate.parse(v).atStartOfDay(zone).toInstant();
      } else {
        var parsed = DATE_TIME.parseBest(v, OffsetDateTime::from, java.time.LocalDateTime::from);
        at =
            parsed instanceof OffsetDateTime o
                ? o.toInstant()
                // A time without a zone (as Zola and Hugo write it) is the site's.
                : ((java.time.LocalDateTime) parsed).atZone(zone).toInstant();
      }
    } catch (DateTimeParseException e) {
      problems.add(
          new Problem(
              f,
              line(nodes.get(key)),
              key,
              "'"
                  + v
                  + "' is not a date (use 2026-05-06, 2026-05-06T09:30 in the site's zone, or"
                  + " 2026-05-06T09:30:00Z)"));
      return null;
    }
    var outOfRange = ContentRules.dateProblem(key, at);
    if (outOfRange.isPresent()) {
      problems.add(new Problem(f, line(nodes.get(key)), key, outOfRange.get().message()));
      return null;
    }
    return at;
  }

  private static final java.util.regex.Pattern OPENING_FENCE =
      java.util.regex.Pattern.compile("---[ \\t]*\\n");
  private static final java.util.regex.Pattern CLOSING_FENCE =
      java.util.regex.Pattern.compile("\\n---[ \\t]*(?:\\n|\\z)");

  private static List<String> tags(Path f, Node n, List<Problem> problems) {
    if (n == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (n instanceof ScalarNode s && isNull(s)) {
      return List.of();
    }
    if (n instanceof ScalarNode s) {
      for (String t : s.getValue().split(",")) {
        if (!t.isBlank()) {
          out.add(t.strip());
        }
      }
    } else if (n instanceof SequenceNode seq) {
      for (Node item : seq.getValue()) {
        if (item instanceof ScalarNode s) {
          out.add(s.getValue().strip());
        } else {
          problems.add(new Problem(f, line(item), "tags", "each tag must be a plain value"));
        }
      }
    } else {
      problems.add(new Problem(f, line(n), "tags", "must be a comma list or a YAML list"));
    }
    // As the item will hold them: two spellings of one tag ("Event Sourcing", "event-sourcing")
    // are one, the first kept. Read as written, every re-import of the file was an edit (and one
    // refused for an archived item), since the site never held what the file said.
    return ContentRules.normaliseTags(out);
  }

  // ---------------------------------------------------------------- writing

  /** Writes one item back in the same format; {@link #read} gives back the same fields. */
  public static String format(ContentKind kind, ContentFields f, boolean draft, Instant publishAt) {
    return format(null, kind, f, draft, publishAt);
  }

  /** As {@link #format(ContentKind, ContentFields, boolean, Instant)}, with the item's id. */
  public static String format(
      String id, ContentKind kind, ContentFields f, boolean draft, Instant publishAt) {
    return format(id, kind, f, draft, publishAt, ZoneOffset.UTC);
  }

  /**
   * As {@link #format(String, ContentKind, ContentFields, boolean, Instant)}, a time at midnight in
   * the site's {@code zone} written as the date alone (as {@link #read} takes it back).
   */
  public static String format(
      String id, ContentKind kind, ContentFields f, boolean draft, Instant publishAt, ZoneId zone) {
    StringBuilder b = new StringBuilder("---\n");
    b.append("title: ").append(quote(f.title())).append('\n');
    b.append("slug: ").append(f.slug()).append('\n');
    if (id != null) {
      b.append("id: ").append(id).append('\n');
    }
    if (kind != ContentKind.POST) {
      b.append("kind: ").append(kind.id()).append('\n');
    }
    if (f.date() != null) {
      b.append("date: ").append(instant(f.date(), zone)).append('\n');
    }
    if (publishAt != null) {
      b.append("publish_date: ").append(instant(publishAt, zone)).append('\n');
    }
    if (!f.tags().isEmpty()) {
      b.append("tags: [");
      for (int i = 0; i < f.tags().size(); i++) {
        b.append(i > 0 ? ", " : "").append(quote(f.tags().get(i)));
      }
      b.append("]\n");
    }
    if (!f.description().isEmpty()) {
      b.append("description: ").append(quote(f.description())).append('\n');
    }
    if (!f.coverImage().isEmpty()) {
      b.append("cover_image: ").append(quote(f.coverImage())).append('\n');
    }
    if (!f.coverAlt().isEmpty()) {
      b.append("cover_alt: ").append(quote(f.coverAlt())).append('\n');
    }
    if (!f.author().isEmpty()) {
      b.append("author: ").append(quote(f.author())).append('\n');
    }
    if (draft) {
      b.append("draft: true\n");
    }
    b.append("---\n\n").append(f.body());
    return b.toString();
  }

  private static String instant(Instant i, ZoneId zone) {
    if (i.atZone(zone).toLocalTime().toSecondOfDay() == 0 && i.getNano() == 0) {
      return i.atZone(zone).toLocalDate().toString();
    }
    return i.toString();
  }

  /** Double-quoted YAML scalar: safe for any text, including ':' and '#'. */
  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        // YAML reads these as line breaks inside a quoted value (folded to a space): escaped,
        // a title holding one comes back the same.
        case '\u0085' -> b.append("\\N");
        case '\u2028' -> b.append("\\L");
        case '\u2029' -> b.append("\\P");
        default -> {
          if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
            b.append(String.format("\\x%02x", (int) c));
          } else if (c == '\ufffe' || c == '\uffff') {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
