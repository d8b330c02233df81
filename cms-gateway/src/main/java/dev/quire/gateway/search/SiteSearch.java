package dev.quire.gateway.search;

import dev.quire.gateway.site.ItemView;
import dev.quire.gateway.site.SiteSnapshot;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The site's search, as the demo post "Search that understands what you meant" asks for: both
 * kinds, and the reader sees why each result matched.
 *
 * <ul>
 *   <li><b>Words</b>: every word of the query starts a word of the item's title, tags, description
 *       or text ("rus" finds "Rust", "cafe" finds "Café"); a title counts more than a tag, a tag
 *       more than the description, the description more than the text. Exact and instant, from the
 *       gateway's memory. Chinese, Japanese and Korean, written without spaces, are matched by
 *       pairs of letters (see {@link #fold}).
 *   <li><b>Meaning</b>: the embedding service's nearest published items to the query, over their
 *       whole text, above a minimum similarity.
 * </ul>
 *
 * The two rankings are merged by reciprocal rank fusion (each list adds {@code 1 / (k + rank)} to
 * an item's score): an item both find rises above one that only one finds, and neither kind's raw
 * scores, which are not comparable, decide alone.
 */
public final class SiteSearch {

  /** Weight of a query word found at the start of a word in each field. */
  static final int TITLE = 8;

  static final int TAG = 4;
  static final int DESCRIPTION = 2;
  static final int TEXT = 1;

  private SiteSearch() {}

  /** A result: the item, its fused score, and which kinds of search found it. */
  public record Result(ItemView item, double score, boolean words, boolean meaning) {}

  /**
   * One item's fields as word matching sees them: folded, with a space before every word. {@code
   * text} is the item's text (its HTML without the markup) as its distinct words, sorted: a page's
   * words once each, so matching reads a fraction of the text and the index holds less.
   */
  record Entry(ItemView item, String title, String tags, String description, String text) {}

  /** A site's published items prepared for word matching, built once per change to them. */
  public static final class Index {
    private final List<Entry> entries;
    private final Map<String, Entry> byId;

    private Index(List<Entry> entries) {
      this.entries = entries;
      Map<String, Entry> ids = new HashMap<>(entries.size() * 2);
      entries.forEach(e -> ids.put(e.item().id(), e));
      this.byId = ids;
    }

    public int size() {
      return entries.size();
    }

    /** The entry of the item with {@code id}, or null. */
    Entry entry(String id) {
      return byId.get(id);
    }

    /** Every published post and page of {@code snapshot}. */
    public static Index of(SiteSnapshot snapshot) {
      return of(snapshot, null);
    }

    /**
     * Every published post and page of {@code snapshot}, taking from {@code previous} (if not null)
     * the entries of items unchanged since: a snapshot keeps the same {@link ItemView} for an item
     * until it changes, so after one publish only that item's text is read again.
     */
    public static Index of(SiteSnapshot snapshot, Index previous) {
      Map<String, Entry> before = previous == null ? Map.of() : previous.byId;
      List<Entry> entries = new ArrayList<>(snapshot.posts().size() + snapshot.pages().size());
      for (List<ItemView> items : List.of(snapshot.posts(), snapshot.pages())) {
        for (ItemView v : items) {
          Entry old = before.get(v.id());
          entries.add(old != null && old.item() == v ? old : entryOf(v));
        }
      }
      return new Index(List.copyOf(entries));
    }
  }

  static Entry entryOf(ItemView v) {
    StringBuilder tags = new StringBuilder();
    v.tags().forEach(t -> tags.append(' ').append(t.name()));
    return new Entry(
        v, fold(v.title()), fold(tags.toString()), fold(v.description()), textWords(v.html()));
  }

  /**
   * The distinct words of {@code html}'s text, folded and sorted, each after a space ({@code "
   * alpha beta"}). The text is what jsoup reads out of the HTML: entities decoded, a space between
   * blocks, code blocks' words included.
   */
  static String textWords(String html) {
    if (html == null || html.isEmpty()) {
      return " ";
    }
    String folded = fold(org.jsoup.Jsoup.parseBodyFragment(html).text());
    java.util.TreeSet<String> words = new java.util.TreeSet<>();
    for (String w : folded.split(" ")) {
      if (!w.isEmpty()) {
        words.add(w);
      }
    }
    if (words.isEmpty()) {
      return " ";
    }
    StringBuilder out = new StringBuilder(folded.length() / 2);
    words.forEach(w -> out.append(' ').append(w));
    return out.toString();
  }

  /**
   * {@code text} for matching: lower case, accents dropped ("Café" is "cafe"), and every run of
   * anything but letters and digits one space, with a space in front, so that {@code " " + word} is
   * found exactly where a word starts.
   *
   * <p>Chinese, Japanese and Korean are written without spaces between words (Korean between
   * phrases), so a run of their letters is one "word" and a word inside it could not be found: such
   * a run becomes its overlapping pairs of letters ("東京都" is "東京 京都"), and its last letter alone,
   * so that any letter of it starts a word. A query is folded the same way without that last letter
   * ({@link #foldQuery}): "京都" finds "東京都", and so does "京". Their marks (Japanese voicing,
   * Hangul's decomposed syllables) are kept: "ガ" is not "カ".
   */
  static String fold(String text) {
    return fold(text, true);
  }

  /** {@code query} folded as {@link #fold} folds a field, for matching against one. */
  static String foldQuery(String query) {
    return fold(query, false);
  }

  private static String fold(String text, boolean field) {
    if (text == null || text.isEmpty()) {
      return " ";
    }
    String plain = Normalizer.normalize(text, Normalizer.Form.NFD);
    StringBuilder out = new StringBuilder(plain.length() + 1).append(' ');
    StringBuilder run = new StringBuilder();
    boolean space = true;
    for (int i = 0; i < plain.length(); ) {
      int cp = plain.codePointAt(i);
      i += Character.charCount(cp);
      if (isMark(cp)) {
        // An accent on a Latin letter is dropped; a CJK letter's mark is part of it.
        if (run.length() > 0) {
          run.appendCodePoint(cp);
        }
        continue;
      }
      if (isCjk(cp)) {
        run.appendCodePoint(cp);
        continue;
      }
      if (run.length() > 0) {
        space = pairs(run, out, space, field);
      }
      if (Character.isLetterOrDigit(cp)) {
        out.appendCodePoint(Character.toLowerCase(cp));
        space = false;
      } else if (!space) {
        out.append(' ');
        space = true;
      }
    }
    if (run.length() > 0) {
      pairs(run, out, space, field);
    }
    return out.toString();
  }

  /**
   * Writes the CJK letters of {@code run} (decomposed) to {@code out} as overlapping pairs, and for
   * a field its last letter alone; empties {@code run}. Returns that {@code out} ends in a space.
   */
  private static boolean pairs(StringBuilder run, StringBuilder out, boolean space, boolean field) {
    int[] letters = Normalizer.normalize(run, Normalizer.Form.NFC).codePoints().toArray();
    run.setLength(0);
    if (!space) {
      out.append(' ');
    }
    if (letters.length == 1) {
      out.appendCodePoint(letters[0]);
    } else {
      for (int k = 0; k + 1 < letters.length; k++) {
        if (k > 0) {
          out.append(' ');
        }
        out.appendCodePoint(letters[k]).appendCodePoint(letters[k + 1]);
      }
      if (field) {
        out.append(' ').appendCodePoint(letters[letters.length - 1]);
      }
    }
    out.append(' ');
    return true;
  }

  private static boolean isMark(int cp) {
    int type = Character.getType(cp);
    return type == Character.NON_SPACING_MARK
        || type == Character.COMBINING_SPACING_MARK
        || type == Character.ENCLOSING_MARK;
  }

  /** A letter of a script written without spaces between words: Han, kana, Hangul. */
  static boolean isCjk(int cp) {
    if (cp < 0x1100) {
      return false;
    }
    // The prolonged sound marks and the iteration mark belong to no one script.
    if (cp == 0x30FC || cp == 0xFF70 || cp == 0x3005) {
      return true;
    }
    Character.UnicodeScript s = Character.UnicodeScript.of(cp);
    return s == Character.UnicodeScript.HAN
        || s == Character.UnicodeScript.HIRAGANA
        || s == Character.UnicodeScript.KATAKANA
        || s == Character.UnicodeScript.HANGUL;
  }

  /** Words shorter than this are left out of a query that has a longer one. */
  static final int SHORT_WORD = 3;

  /**
   * The query's distinct words, folded, at most {@code max} of them. Words of one or two letters
   * ("of", "a", "to") are left out when the query has a longer word: every word must match, and
   * "speed of page loads" should not fail on "of". Alone, they stay ("go", or "ru" while typing).
   */
  static List<String> words(String query, int max) {
    LinkedHashSet<String> all = new LinkedHashSet<>();
    for (String w : foldQuery(query).trim().split(" ")) {
      if (!w.isEmpty()) {
        all.add(w);
      }
    }
    // A pair of CJK letters is a word of its own, not a short one.
    java.util.function.Predicate<String> isLong =
        w -> w.length() >= SHORT_WORD || isCjk(w.codePointAt(0));
    boolean anyLong = all.stream().anyMatch(isLong);
    return all.stream().filter(w -> !anyLong || isLong.test(w)).limit(max).toList();
  }

  /**
   * The items in which every word starts a word of a field, best first (a title match counts most,
   * the text least; ties go to the newer item), at most {@code limit}.
   */
  static List<ItemView> byWords(Index index, List<String> words, int limit) {
    if (words.isEmpty()) {
      return List.of();
    }
    record Scored(ItemView item, int score) {}
    List<Scored> found = new ArrayList<>();
    for (Entry e : index.entries) {
      int score = 0;
      for (String w : words) {
        String needle = " " + w;
        int best =
            e.title().contains(needle)
                ? TITLE
                : e.tags().contains(needle)
                    ? TAG
                    : e.description().contains(needle)
                        ? DESCRIPTION
                        : e.text().contains(needle) ? TEXT : 0;
        if (best == 0) {
          score = 0;
          break;
        }
        score += best;
      }
      if (score > 0) {
        found.add(new Scored(e.item(), score));
      }
    }
    found.sort(
        Comparator.comparingInt(Scored::score)
            .reversed()
            .thenComparing(s -> s.item().sortDate(), Comparator.reverseOrder())
            .thenComparing(s -> s.item().id()));
    return found.stream().limit(limit).map(Scored::item).toList();
  }

  /**
   * The two rankings fused: each adds {@code 1 / (rrfK + rank)} (rank from 1) to an item's score;
   * best first, ties to the item words found, then the newer. At most {@code limit}.
   */
  static List<Result> fuse(List<ItemView> byWords, List<ItemView> byMeaning, int rrfK, int limit) {
    Map<String, double[]> scores = new HashMap<>();
    Map<String, ItemView> items = new HashMap<>();
    Map<String, boolean[]> why = new HashMap<>();
    for (int list = 0; list < 2; list++) {
      List<ItemView> ranked = list == 0 ? byWords : byMeaning;
      for (int i = 0; i < ranked.size(); i++) {
        ItemView v = ranked.get(i);
        items.putIfAbsent(v.id(), v);
        scores.computeIfAbsent(v.id(), k -> new double[1])[0] += 1.0 / (rrfK + i + 1);
        why.computeIfAbsent(v.id(), k -> new boolean[2])[list] = true;
      }
    }
    List<Result> results = new ArrayList<>();
    for (var e : items.entrySet()) {
      boolean[] w = why.get(e.getKey());
      results.add(new Result(e.getValue(), scores.get(e.getKey())[0], w[0], w[1]));
    }
    results.sort(
        Comparator.comparingDouble(Result::score)
            .reversed()
            .thenComparing(r -> !r.words())
            .thenComparing(r -> r.item().sortDate(), Comparator.reverseOrder())
            .thenComparing(r -> r.item().id()));
    return results.size() > limit ? List.copyOf(results.subList(0, limit)) : results;
  }
}
