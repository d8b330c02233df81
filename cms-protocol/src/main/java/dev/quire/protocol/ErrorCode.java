package dev.quire.protocol;

/** Why a command was refused; each maps to one HTTP status at the gateway. */
public enum ErrorCode {
  /** A field is invalid (400). */
  INVALID,
  /** The item does not exist (404). */
  NOT_FOUND,
  /** The editor started from an older revision (409). */
  STALE_REVISION,
  /** Another item holds the slug (409). */
  SLUG_TAKEN,
  /** The item exists already (409). */
  ALREADY_EXISTS,
  /** The command does not apply in the item's current status (409). */
  INVALID_TRANSITION,
  /** A collaborator did not answer in time (503). */
  UNAVAILABLE
}
