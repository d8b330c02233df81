package dev.quire.content.render;

import java.util.Map;
import java.util.Set;
import org.commonmark.ext.task.list.items.TaskListItemMarker;
import org.commonmark.node.ListBlock;
import org.commonmark.node.ListItem;
import org.commonmark.node.Node;
import org.commonmark.node.Paragraph;
import org.commonmark.renderer.NodeRenderer;
import org.commonmark.renderer.html.HtmlNodeRendererContext;
import org.commonmark.renderer.html.HtmlWriter;

/**
 * A task-list item ({@code - [x] Done}) whose checkbox is labelled by the item's text: the item's
 * first paragraph is wrapped in a {@code <label>} with the checkbox, so a screen reader names the
 * checkbox by what it is for ("Write alt text, check box, checked") rather than announcing an
 * unnamed control (axe's rule {@code label}, WCAG 4.1.2). commonmark-java's task-list extension
 * writes the checkbox alone before the text; every other list item is written as commonmark-java's
 * core renderer writes it (an opening tag with the attribute providers' attributes, the children, a
 * closing tag and a line break).
 */
final class TaskItemLabels implements NodeRenderer {

  private final HtmlNodeRendererContext context;
  private final HtmlWriter html;

  TaskItemLabels(HtmlNodeRendererContext context) {
    this.context = context;
    this.html = context.getWriter();
  }

  @Override
  public Set<Class<? extends Node>> getNodeTypes() {
    return Set.of(ListItem.class);
  }

  @Override
  public void render(Node node) {
    html.tag("li", context.extendAttributes(node, "li", Map.of()));
    Node first = node.getFirstChild();
    Node rest = first;
    if (first instanceof TaskListItemMarker && first.getNext() instanceof Paragraph text) {
      boolean tight = node.getParent() instanceof ListBlock list && list.isTight();
      if (!tight) {
        html.line();
        html.tag("p", context.extendAttributes(text, "p", Map.of()));
      }
      html.tag("label");
      context.render(first);
      renderFrom(text.getFirstChild());
      html.tag("/label");
      if (!tight) {
        html.tag("/p");
        html.line();
      }
      rest = text.getNext();
    }
    renderFrom(rest);
    html.tag("/li");
    html.line();
  }

  /** Renders {@code n} and the siblings after it. */
  private void renderFrom(Node n) {
    while (n != null) {
      Node next = n.getNext();
      context.render(n);
      n = next;
    }
  }
}
