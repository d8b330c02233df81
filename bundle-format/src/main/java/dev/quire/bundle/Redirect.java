package dev.quire.bundle;

/** A moved URL: {@code from} and {@code to} are paths on the site (no scheme, no host). */
public record Redirect(String from, String to, int status) {}
