package dev.quire.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a user of the admin may do. An author writes drafts; an editor also publishes, schedules,
 * unpublishes, archives and edits what is live; an admin also manages users and the site's
 * settings.
 */
public enum Role {
  AUTHOR(EnumSet.of(Permission.WRITE_DRAFTS)),
  EDITOR(EnumSet.of(Permission.WRITE_DRAFTS, Permission.PUBLISH)),
  ADMIN(EnumSet.allOf(Permission.class));

  /** One right; an admin route names the one it needs. */
  public enum Permission {
    /** Create drafts and edit items that are drafts. */
    WRITE_DRAFTS,
    /** Publish, schedule, unpublish, archive, revert, and edit items that are not drafts. */
    PUBLISH,
    /** Add users, change their role, disable them, set their passwords. */
    MANAGE_USERS,
    /** Change what the site says about itself: title, description, author, language, paging. */
    MANAGE_SITE
  }

  private final Set<Permission> permissions;

  Role(Set<Permission> permissions) {
    this.permissions = permissions;
  }

  public boolean may(Permission p) {
    return permissions.contains(p);
  }

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static Role parse(String value) {
    for (Role r : values()) {
      if (r.id().equalsIgnoreCase(value)) {
        return r;
      }
    }
    throw new IllegalArgumentException("role must be author, editor or admin, was '" + value + "'");
  }
}
