package dev.quire.cli;

import dev.quire.content.Content;
import dev.quire.content.JournalHistories;
import dev.quire.gateway.backup.BundleImport;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ContentRules;
import dev.quire.protocol.HistoryStep;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * How {@code quire bundle import} plans on a stopped site: from its journal, read once (every id,
 * every slug claim), and with the entity's own check run here, without an ask per item or slug.
 */
final class JournalPlanner implements BundleImport.Planner {

  private final DataSource db;
  private final ActorSystem<?> system;
  private final int fetchSize;
  private final ContentRules rules;
  private Map<String, String> owners;

  JournalPlanner(DataSource db, ActorSystem<?> system, int fetchSize, ContentRules rules) {
    this.db = db;
    this.system = system;
    this.fetchSize = fetchSize;
    this.rules = rules;
  }

  @Override
  public Set<String> contentIds() throws Exception {
    return JournalHistories.contentIds(db);
  }

  @Override
  public Map<String, String> slugOwners(Set<String> slugs) throws Exception {
    if (owners == null) {
      owners = JournalHistories.slugOwners(db, system, fetchSize);
    }
    Map<String, String> out = new HashMap<>();
    for (String s : slugs) {
      String owner = owners.get(s);
      if (owner != null) {
        out.put(s, owner);
      }
    }
    return out;
  }

  @Override
  public ContentReply.Rejected checkHistory(String id, List<HistoryStep> steps) {
    return Content.checkHistory(id, rules, steps);
  }
}
