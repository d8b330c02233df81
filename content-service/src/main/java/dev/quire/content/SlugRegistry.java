package dev.quire.content;

import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.SlugCommand;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * How the two entities find each other: a content item asks the slug's entity for a claim, and a
 * slug entity asks its owner whether it still uses the slug. Sharding in production; tests wire
 * real entities spawned locally.
 */
public interface SlugRegistry {
  RecipientRef<SlugCommand> slug(String slug);

  RecipientRef<ContentCommand> content(String contentId);

  static SlugRegistry sharded(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return new SlugRegistry() {
      @Override
      public RecipientRef<SlugCommand> slug(String slug) {
        return sharding.entityRefFor(SlugCommand.ENTITY_KEY, slug);
      }

      @Override
      public RecipientRef<ContentCommand> content(String contentId) {
        return sharding.entityRefFor(ContentCommand.ENTITY_KEY, contentId);
      }
    };
  }
}
