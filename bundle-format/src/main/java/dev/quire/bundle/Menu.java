package dev.quire.bundle;

import java.util.List;

/** A named navigation menu. */
public record Menu(String name, List<Link> links) {

  public Menu {
    links = links == null ? List.of() : List.copyOf(links);
  }

  public record Link(String label, String url) {}
}
