package dev.quire.protocol;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Commands to the site's redirect table: one sharded entity ({@link #SITE}) journals every change,
 * so moved URLs are never lost and gateways anywhere read the same table.
 */
public interface RedirectCommand extends QuireSerializable {

  EntityTypeKey<RedirectCommand> ENTITY_KEY =
      EntityTypeKey.create(RedirectCommand.class, "Redirects");

  /** The entity id of the site's one redirect table. */
  String SITE = "site";

  /**
   * Adds or replaces (by {@code from}) every rule, all or none; with {@code expectedVersion}, only
   * while the table is still at it (an import that checked the table: refused {@code
   * STALE_REVISION} otherwise). A node from before the field sends none.
   */
  /**
   * {@code loopsChecked}: the sender followed the whole table these rules will be part of and found
   * no loop (a bundle import, which writes its rules in batches: a batch could loop with the site's
   * rules that a later batch replaces); otherwise the entity follows each rule through the table as
   * it would be and refuses one that loops.
   */
  record Put(
      List<RedirectRule> rules,
      Long expectedVersion,
      boolean loopsChecked,
      String actor,
      ActorRef<RedirectReply> replyTo)
      implements RedirectCommand {

    public Put(List<RedirectRule> rules, String actor, ActorRef<RedirectReply> replyTo) {
      this(rules, null, false, actor, replyTo);
    }

    public Put(
        List<RedirectRule> rules,
        Long expectedVersion,
        String actor,
        ActorRef<RedirectReply> replyTo) {
      this(rules, expectedVersion, false, actor, replyTo);
    }
  }

  record Remove(String from, String actor, ActorRef<RedirectReply> replyTo)
      implements RedirectCommand {}

  /**
   * The table, unless the asker already has {@code knownVersion}: then {@code rules} is null and
   * {@code unchanged} true, so a gateway's periodic check costs nothing. A table is answered a page
   * at a time from rule {@code offset} (the first is 0): whole, 25,000 rules passed the 2 MiB a
   * cluster message may carry, and gateways on other nodes never got them.
   */
  record Get(long knownVersion, int offset, ActorRef<RedirectTable> replyTo)
      implements RedirectCommand {
    public Get(long knownVersion, ActorRef<RedirectTable> replyTo) {
      this(knownVersion, 0, replyTo);
    }
  }

  /**
   * A page of the table at {@code version}; {@code next}: the offset of the next page, null when
   * this page ends the table.
   */
  record RedirectTable(long version, boolean unchanged, List<RedirectRule> rules, Integer next)
      implements QuireSerializable {
    public RedirectTable(long version, boolean unchanged, List<RedirectRule> rules) {
      this(version, unchanged, rules, null);
    }
  }
}
