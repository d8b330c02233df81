package dev.quire.content.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.content.Content;
import dev.quire.content.render.MarkdownRenderer;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentRules;
import dev.quire.protocol.HistoryStep;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The query actor's check of a history, what an import into a running site plans with: the same
 * answer the entity's own {@code Restore} check gives, nothing read or written (no database is
 * given to the actor here; the check needs none), and its messages as the cluster carries them.
 */
class CheckHistoryQueryTest {

  static ActorTestKit kit;
  static ActorRef<ContentQuery> queries;
  static final java.util.concurrent.ExecutorService CHECKS =
      java.util.concurrent.Executors.newSingleThreadExecutor();
  static final ContentRules RULES = MarkdownRenderer.contentRules(ConfigFactory.load());

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("check-history");
    // The check runs off the actor's thread, as on the content role's JDBC pool.
    queries =
        kit.spawn(ContentQueries.create(null, null, CHECKS, 500, 1_000_000, RULES, () -> -1L));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
    CHECKS.shutdown();
  }

  static List<HistoryStep> steps(List<Content.Event> events) {
    return events.stream().map(Content::step).toList();
  }

  @Test
  void aHistoryTheEntityWouldTakePassesAndABrokenOneIsNamedAsTheEntityNamesIt() {
    TestProbe<ContentQuery.HistoryChecked> probe = kit.createTestProbe();
    List<HistoryStep> good = steps(ExportItemPagingTest.history(3, 200));
    queries.tell(new ContentQuery.CheckHistory("id-1", good, probe.ref()));
    ContentQuery.HistoryChecked ok = probe.receiveMessage();
    assertThat(ok.contentId()).isEqualTo("id-1");
    assertThat(ok.problem()).isNull();

    // An edit first: the entity refuses it as the first step, and so does the query.
    List<HistoryStep> broken = good.subList(1, good.size());
    queries.tell(new ContentQuery.CheckHistory("id-1", broken, probe.ref()));
    ContentQuery.HistoryChecked refused = probe.receiveMessage();
    assertThat(refused.problem().field()).isEqualTo("history[0].revision");
    assertThat(refused.problem().message()).contains("must be 1");

    // Fields the rules refuse: each named under its step, one by one.
    HistoryStep first = good.get(0);
    HistoryStep bad =
        new HistoryStep(
            1,
            "created",
            first.at(),
            "ann",
            first.kind(),
            new dev.quire.protocol.ContentFields(
                "", "Not A Slug", "Body.", "", List.of(), "", "Ann", null, ""),
            null,
            null,
            null,
            null);
    queries.tell(new ContentQuery.CheckHistory("id-2", List.of(bad), probe.ref()));
    ContentQuery.HistoryChecked fields = probe.receiveMessage();
    assertThat(fields.problem().errors())
        .extracting(dev.quire.protocol.FieldError::field)
        .contains("history[0].fields.title", "history[0].fields.slug");
  }

  @Test
  void theCheckMessagesRoundTripAsTheClusterSendsThem() {
    SerializationTestKit serialization = new SerializationTestKit(kit.system());
    TestProbe<ContentQuery.HistoryChecked> probe = kit.createTestProbe();
    var ask =
        new ContentQuery.CheckHistory(
            "id-1", steps(ExportItemPagingTest.history(2, 50)), probe.ref());
    assertThat(serialization.verifySerialization(ask, true)).isEqualTo(ask);
    List<HistoryStep> broken = steps(ExportItemPagingTest.history(2, 50)).subList(1, 3);
    var answer =
        new ContentQuery.HistoryChecked("id-1", Content.checkHistory("id-1", RULES, broken));
    assertThat(answer.problem()).isNotNull();
    assertThat(serialization.verifySerialization(answer, true)).isEqualTo(answer);
    var fine = new ContentQuery.HistoryChecked("id-1", null);
    assertThat(serialization.verifySerialization(fine, true)).isEqualTo(fine);
  }
}
