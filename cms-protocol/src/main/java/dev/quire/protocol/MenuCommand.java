package dev.quire.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Commands to the site's menus: one sharded entity ({@link #SITE}) journals every change, so every
 * gateway shows the same navigation and a bundle carries it.
 */
public interface MenuCommand extends QuireSerializable {

  EntityTypeKey<MenuCommand> ENTITY_KEY = EntityTypeKey.create(MenuCommand.class, "Menus");

  String SITE = "site";

  /**
   * Sets the menu of that name, all its links at once (a new one, or in place of the old). {@code
   * expectedVersion}, when given, is the menus' version the change started from: another change
   * since is refused as stale, not overwritten (two editors saving the same page's menus).
   */
  record Put(SiteMenu menu, Long expectedVersion, String actor, ActorRef<MenuReply> replyTo)
      implements MenuCommand {
    public Put(SiteMenu menu, String actor, ActorRef<MenuReply> replyTo) {
      this(menu, null, actor, replyTo);
    }
  }

  /** Removes a menu; {@code expectedVersion} as for {@link Put}. */
  record Remove(String name, Long expectedVersion, String actor, ActorRef<MenuReply> replyTo)
      implements MenuCommand {
    public Remove(String name, String actor, ActorRef<MenuReply> replyTo) {
      this(name, null, actor, replyTo);
    }
  }

  /** Every menu, unless the asker has {@code knownVersion}: then {@code unchanged}. */
  record Get(long knownVersion, ActorRef<MenuTable> replyTo) implements MenuCommand {}

  record MenuTable(long version, boolean unchanged, List<SiteMenu> menus)
      implements QuireSerializable {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = MenuReply.Stored.class, name = "stored"),
    @JsonSubTypes.Type(value = MenuReply.Refused.class, name = "refused")
  })
  sealed interface MenuReply extends QuireSerializable {
    record Stored(long version) implements MenuReply {}

    record Refused(ErrorCode code, String field, String message) implements MenuReply {}
  }
}
