package dev.quire.gateway.api;

/**
 * The JSON body of {@code POST /api/v1/content/<id>/revert}: the revision to go back to, and the
 * revision the editor is reverting from (the current one; a stale one is refused, as for an edit).
 */
public record RevertInput(Long to, Long revision) {}
