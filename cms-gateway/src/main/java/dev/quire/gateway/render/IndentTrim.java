package dev.quire.gateway.render;

import io.pebbletemplates.pebble.loader.Loader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drops the indentation of template lines as templates load, so pages do not carry the spaces that
 * keep their templates readable: the default theme's home page was ~14% spaces. What a browser
 * shows is unchanged, and so are the templates' line numbers in errors:
 *
 * <ul>
 *   <li>Only the spaces and tabs that begin a line go, never a line break: whitespace between two
 *       lines of text still separates them.
 *   <li>Where Pebble drops the line break before the line (the line before ends with a tag, {@code
 *       %}}, a value, {@code }}}, or a comment, {@code #}}), one space stays in its place, so
 *       {@code word{% if x %}⏎ more} still shows "word more".
 *   <li>Lines inside {@code <pre>}, {@code <textarea>}, {@code <script>} and {@code <style>} in the
 *       template are left as written.
 * </ul>
 *
 * What a template prints (a post's body, a title) is never touched: only the template's own text.
 * The check for those elements sees one template file at a time, so a {@code <pre>} in a layout
 * around a block another template fills, or a CSS rule {@code white-space: pre} in a theme, is
 * beyond it: {@code Templates} trims the built-in theme, which holds neither, and a theme
 * directory's templates only when asked to ({@code quire.gateway.trim-template-indentation}).
 */
public final class IndentTrim {

  private IndentTrim() {}

  /** Opening or closing tags of the elements whose text is kept as written. */
  private static final Pattern VERBATIM =
      Pattern.compile("<(/?)(pre|textarea|script|style)(?=[\\s>/])", Pattern.CASE_INSENSITIVE);

  /** {@code template} with the indentation of its lines dropped, as above. */
  public static String trim(String template) {
    StringBuilder out = new StringBuilder(template.length());
    String verbatim = null;
    // A template may be included right after a word on the includer's line: its first line keeps
    // a space too.
    boolean breakEaten = true;
    int start = 0;
    int n = template.length();
    while (start < n) {
      int nl = template.indexOf('\n', start);
      int end = nl < 0 ? n : nl + 1;
      String line = template.substring(start, end);
      int indent = 0;
      while (indent < line.length()
          && (line.charAt(indent) == ' ' || line.charAt(indent) == '\t')) {
        indent++;
      }
      if (verbatim != null || indent == 0) {
        out.append(line);
      } else {
        if (breakEaten) {
          out.append(' ');
        }
        out.append(line, indent, line.length());
      }
      verbatim = verbatimAfter(line, verbatim);
      String content = line.strip();
      breakEaten = content.endsWith("%}") || content.endsWith("#}") || content.endsWith("}}");
      start = end;
    }
    return out.toString();
  }

  /** The verbatim element still open after {@code line}, given the one open before it. */
  private static String verbatimAfter(String line, String open) {
    Matcher m = VERBATIM.matcher(line);
    while (m.find()) {
      String name = m.group(2).toLowerCase(Locale.ROOT);
      if (m.group(1).isEmpty()) {
        if (open == null) {
          open = name;
        }
      } else if (name.equals(open)) {
        open = null;
      }
    }
    return open;
  }

  /** {@code loader}, with every template it reads trimmed as above. */
  public static <K> Loader<K> loader(Loader<K> loader) {
    return new Loader<>() {
      @Override
      public Reader getReader(K cacheKey) {
        try (Reader in = loader.getReader(cacheKey)) {
          StringBuilder text = new StringBuilder();
          char[] buf = new char[8192];
          for (int r; (r = in.read(buf)) > 0; ) {
            text.append(buf, 0, r);
          }
          return new StringReader(trim(text.toString()));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      public void setCharset(String charset) {
        loader.setCharset(charset);
      }

      @Override
      public void setPrefix(String prefix) {
        loader.setPrefix(prefix);
      }

      @Override
      public void setSuffix(String suffix) {
        loader.setSuffix(suffix);
      }

      @Override
      public String resolveRelativePath(String relativePath, String anchorPath) {
        return loader.resolveRelativePath(relativePath, anchorPath);
      }

      @Override
      public K createCacheKey(String templateName) {
        return loader.createCacheKey(templateName);
      }

      @Override
      public boolean resourceExists(String templateName) {
        return loader.resourceExists(templateName);
      }
    };
  }
}
