package dev.quire.content.render;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.commonmark.ext.footnotes.FootnoteDefinition;
import org.commonmark.ext.footnotes.FootnoteReference;
import org.commonmark.ext.heading.anchor.IdGenerator;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Code;
import org.commonmark.node.CustomBlock;
import org.commonmark.node.CustomNode;
import org.commonmark.node.Heading;
import org.commonmark.node.Node;
import org.commonmark.node.Text;
import org.commonmark.renderer.html.AttributeProvider;

/**
 * A heading's {@code id}, made as commonmark-java's heading-anchor extension makes it (its text and
 * inline code, trimmed and lower-cased, through {@link IdGenerator}: "Fast pages" gives {@code
 * fast-pages}, a second one {@code fast-pages-1}), except that no heading gets an id the page
 * around the body already has, nor one an earlier heading got: {@code ## Main} beside the theme's
 * {@code <main id="main">} gave two elements one id, so a link to the heading went to the top of
 * the content. Such a heading gets the first free id of its own ({@code main-2} when another
 * heading already has {@code main-1}); every other heading keeps the id the extension gave it, so
 * links to them still lead where they did. The ids around the body are the theme's ({@code
 * quire.content.markdown.theme-ids}) and the footnotes' ({@code fn-note}, {@code fnref-note}),
 * which the renderer writes into the body itself. One per rendered document: the whole document's
 * ids are worked out at its first heading.
 */
final class HeadingIds implements AttributeProvider {

  private final Set<String> themeIds;

  /** Each heading's id, by node; null until the first heading. */
  private Map<Node, String> ids;

  HeadingIds(Set<String> themeIds) {
    this.themeIds = themeIds;
  }

  @Override
  public void setAttributes(Node node, String tagName, Map<String, String> attributes) {
    if (!(node instanceof Heading)) {
      return;
    }
    if (ids == null) {
      ids = idsOf(root(node));
    }
    String id = ids.get(node);
    if (id != null) {
      attributes.put("id", id);
    }
  }

  private static Node root(Node node) {
    Node root = node;
    while (root.getParent() != null) {
      root = root.getParent();
    }
    return root;
  }

  /** Every heading of the document under {@code root}, with its id. */
  private Map<Node, String> idsOf(Node root) {
    List<Heading> headings = new ArrayList<>();
    root.accept(
        new AbstractVisitor() {
          @Override
          public void visit(Heading heading) {
            headings.add(heading);
            visitChildren(heading);
          }
        });
    // What the extension gave each, in document order.
    IdGenerator generator = IdGenerator.builder().build();
    List<String> given = new ArrayList<>();
    for (Heading h : headings) {
      given.add(generator.generateId(text(h)));
    }
    Set<String> taken = new HashSet<>(themeIds);
    taken.addAll(footnoteIds(root));
    // Ids a heading keeps: the first heading with each, unless the page has it already.
    Set<String> kept = new HashSet<>();
    Map<Node, String> out = new IdentityHashMap<>();
    for (int i = 0; i < headings.size(); i++) {
      String id = given.get(i);
      if (!taken.contains(id) && kept.add(id)) {
        out.put(headings.get(i), id);
      }
    }
    // The others: the first free id of their own, free of every id above.
    Set<String> used = new HashSet<>(given);
    used.addAll(taken);
    for (int i = 0; i < headings.size(); i++) {
      if (out.containsKey(headings.get(i))) {
        continue;
      }
      String base = given.get(i);
      String id;
      int n = 1;
      do {
        id = base + "-" + n++;
      } while (used.contains(id));
      used.add(id);
      out.put(headings.get(i), id);
    }
    return out;
  }

  /**
   * A heading's text as the extension reads it: its text and inline code, trimmed, lower-cased in
   * the JVM's default locale (as the extension does), so headings keep the ids links point at.
   */
  private static String text(Heading heading) {
    StringBuilder words = new StringBuilder();
    heading.accept(
        new AbstractVisitor() {
          @Override
          public void visit(Text text) {
            words.append(text.getLiteral());
          }

          @Override
          public void visit(Code code) {
            words.append(code.getLiteral());
          }
        });
    return words.toString().trim().toLowerCase();
  }

  /**
   * The ids the footnotes extension gives the document's notes ({@code fn-LABEL}) and references
   * ({@code fnref-LABEL}, then {@code fnref-LABEL-2} for a note's second reference), LABEL as its
   * definition writes it; a reference's own spelling too (the two match regardless of case), to be
   * safe.
   */
  private static Set<String> footnoteIds(Node root) {
    Map<String, String> definitions = new java.util.HashMap<>();
    List<String> references = new ArrayList<>();
    root.accept(
        new AbstractVisitor() {
          @Override
          public void visit(CustomNode n) {
            if (n instanceof FootnoteReference ref) {
              references.add(ref.getLabel());
            }
            visitChildren(n);
          }

          @Override
          public void visit(CustomBlock n) {
            if (n instanceof FootnoteDefinition def) {
              definitions.putIfAbsent(key(def.getLabel()), def.getLabel());
            }
            visitChildren(n);
          }
        });
    Set<String> ids = new HashSet<>();
    definitions.values().forEach(label -> ids.add("fn-" + label));
    Map<String, Integer> seen = new java.util.HashMap<>();
    for (String label : references) {
      String definition = definitions.getOrDefault(key(label), label);
      int k = seen.merge(definition, 1, Integer::sum);
      String suffix = k == 1 ? "" : "-" + k;
      ids.add("fnref-" + definition + suffix);
      ids.add("fnref-" + label + suffix);
    }
    return ids;
  }

  /** A footnote label as CommonMark matches them: case and runs of spaces aside. */
  private static String key(String label) {
    return label.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
  }
}
