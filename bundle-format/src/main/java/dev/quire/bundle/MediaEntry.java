package dev.quire.bundle;

/** A media blob, stored once under {@code media/<sha256>} whatever the number of users. */
public record MediaEntry(String sha256, long size, String contentType, String filename) {}
