package dev.quire.content.render;

import java.util.ArrayList;
import java.util.List;
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
 * fast-pages}, a second one {@code fast-pages-1}), except that an id the page around the body
 * already uses is never given: {@code ## Main} beside the theme's {@code <main id="main">} gave two
 * elements one id, so a link to the heading went to the top of the content. Such a heading gets the
 * next free id ({@code main-1}), as does a heading whose id an earlier heading of the body already
 * has; every other heading keeps the id it had. The ids around the body are the theme's ({@code
 * quire.content.markdown.theme-ids}) and the footnotes' ({@code fn-1}, {@code fnref-1}), which the
 * renderer writes into the body itself. One per rendered document (the generator counts the ids it
 * gave).
 */
final class HeadingIds implements AttributeProvider {

  private final IdGenerator ids = IdGenerator.builder().build();
  private final Set<String> taken;

  /** The ids given so far in this document. */
  private final Set<String> given = new java.util.HashSet<>();

  HeadingIds(Set<String> taken) {
    this.taken = taken;
  }

  /**
   * The footnotes' ids in this document (the footnotes extension's: {@code fn-LABEL} on a note,
   * {@code fnref-LABEL} on its first reference, {@code fnref-LABEL-2} on its second), read from the
   * whole document at its first heading; null before.
   */
  private Set<String> footnotes;

  /** Whether a page showing the body already has an element with {@code id}. */
  private boolean taken(String id) {
    return taken.contains(id) || footnotes.contains(id);
  }

  /** The ids the footnotes extension gives the notes and references of {@code node}'s document. */
  private static Set<String> footnoteIds(Node node) {
    Node root = node;
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Set<String> ids = new java.util.HashSet<>();
    Map<String, Integer> seen = new java.util.HashMap<>();
    root.accept(
        new AbstractVisitor() {
          @Override
          public void visit(CustomNode n) {
            if (n instanceof FootnoteReference ref) {
              int k = seen.merge(ref.getLabel(), 1, Integer::sum);
              ids.add("fnref-" + ref.getLabel() + (k == 1 ? "" : "-" + k));
            }
            visitChildren(n);
          }

          @Override
          public void visit(CustomBlock n) {
            if (n instanceof FootnoteDefinition def) {
              ids.add("fn-" + def.getLabel());
            }
            visitChildren(n);
          }
        });
    return ids;
  }

  @Override
  public void setAttributes(Node node, String tagName, Map<String, String> attributes) {
    if (!(node instanceof Heading)) {
      return;
    }
    List<String> words = new ArrayList<>();
    node.accept(
        new AbstractVisitor() {
          @Override
          public void visit(Text text) {
            words.add(text.getLiteral());
          }

          @Override
          public void visit(Code code) {
            words.add(code.getLiteral());
          }
        });
    // As the extension reads it (its lower-casing in the JVM's default locale included), so
    // headings keep the ids links already point at.
    String text = String.join("", words).trim().toLowerCase();
    if (footnotes == null) {
      footnotes = footnoteIds(node);
    }
    String id = ids.generateId(text);
    // The generator counts the texts it was given: asked again, it gives the next (main-1,
    // main-2). It does not count what it made that way, so a heading "Main 1" after two "Main"s
    // would get main-1 a second time.
    while (taken(id) || given.contains(id)) {
      id = ids.generateId(text);
    }
    given.add(id);
    attributes.put("id", id);
  }
}
