package dev.quire.content;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.MenuCommand;
import dev.quire.protocol.MenuCommand.MenuReply;
import dev.quire.protocol.SiteMenu;
import java.time.Clock;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The site's menus, with Pekko's serialization checks on for every message, event and state. */
class SiteMenusTest {

  static final ActorTestKit KIT =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  static SiteMenu menu(String name, String... labelUrl) {
    List<SiteMenu.Link> links = new java.util.ArrayList<>();
    for (int i = 0; i < labelUrl.length; i += 2) {
      links.add(new SiteMenu.Link(labelUrl[i], labelUrl[i + 1]));
    }
    return new SiteMenu(name, links);
  }

  @Test
  void menusAreSetWholeCheckedAndRemoved() {
    var kit =
        EventSourcedBehaviorTestKit.<MenuCommand, SiteMenus.Event, SiteMenus.State>create(
            KIT.system(),
            SiteMenus.create("site", new SiteMenus.Settings(2, 20), Clock.systemUTC()));
    MenuReply put =
        kit.<MenuReply>runCommand(
                r ->
                    new MenuCommand.Put(
                        menu("main", "Home", "/", "Src", "https://x.org/"), "ed", r))
            .reply();
    assertThat(put).isEqualTo(new MenuReply.Stored(1));
    // The same menu again: nothing written.
    var same =
        kit.<MenuReply>runCommand(
            r -> new MenuCommand.Put(menu("main", "Home", "/", "Src", "https://x.org/"), "ed", r));
    assertThat(same.hasNoEvents()).isTrue();

    for (SiteMenu bad :
        List.of(
            menu("Main", "Home", "/"),
            menu("main", "", "/"),
            menu("main", "\u200b", "/"),
            menu("main", "\u00a0\u2060", "/"),
            menu("main", "X", "javascript:alert(1)"),
            menu("main", "X", "//evil.example/"),
            menu("main", "X", "data:text/html,hi"),
            menu("main", "X", "/a b/"))) {
      var r = kit.<MenuReply>runCommand(rr -> new MenuCommand.Put(bad, "ed", rr));
      assertThat(r.reply()).as(bad.toString()).isInstanceOf(MenuReply.Refused.class);
      assertThat(r.hasNoEvents()).isTrue();
    }
    var tooMany = new java.util.ArrayList<String>();
    for (int i = 0; i <= SiteMenu.MAX_LINKS; i++) {
      tooMany.add("L" + i);
      tooMany.add("/" + i + "/");
    }
    assertThat(
            kit.<MenuReply>runCommand(
                    r -> new MenuCommand.Put(menu("main", tooMany.toArray(new String[0])), "ed", r))
                .reply())
        .isInstanceOf(MenuReply.Refused.class);

    kit.<MenuReply>runCommand(
        r -> new MenuCommand.Put(menu("footer", "Feed", "/feed.xml"), "ed", r));
    var third =
        (MenuReply.Refused)
            kit.<MenuReply>runCommand(r -> new MenuCommand.Put(menu("side", "A", "/a/"), "ed", r))
                .reply();
    assertThat(third.message()).contains("quire.content.menus.max-menus");

    var table = kit.<MenuCommand.MenuTable>runCommand(r -> new MenuCommand.Get(-1, r)).reply();
    assertThat(table.menus()).extracting(SiteMenu::name).containsExactly("footer", "main");
    assertThat(
            kit.<MenuCommand.MenuTable>runCommand(r -> new MenuCommand.Get(table.version(), r))
                .reply()
                .unchanged())
        .isTrue();

    kit.restart();
    assertThat(kit.<MenuReply>runCommand(r -> new MenuCommand.Remove("main", "ed", r)).reply())
        .isInstanceOf(MenuReply.Stored.class);
    var gone =
        (MenuReply.Refused)
            kit.<MenuReply>runCommand(r -> new MenuCommand.Remove("main", "ed", r)).reply();
    assertThat(gone.code()).isEqualTo(ErrorCode.NOT_FOUND);
  }

  /** Two editors who opened the menus at the same version: the second save is refused. */
  @Test
  void aChangeFromAnOlderVersionIsRefusedNotOverwritten() {
    var kit =
        EventSourcedBehaviorTestKit.<MenuCommand, SiteMenus.Event, SiteMenus.State>create(
            KIT.system(),
            SiteMenus.create("site", new SiteMenus.Settings(4, 20), Clock.systemUTC()));
    kit.<MenuReply>runCommand(r -> new MenuCommand.Put(menu("main", "Home", "/"), "ed", r));
    long opened = kit.getState().version();
    var first =
        kit.<MenuReply>runCommand(
            r -> new MenuCommand.Put(menu("main", "Home", "/", "A", "/a/"), opened, "ann", r));
    assertThat(first.reply()).isEqualTo(new MenuReply.Stored(opened + 1));
    var second =
        kit.<MenuReply>runCommand(
            r -> new MenuCommand.Put(menu("main", "Home", "/", "B", "/b/"), opened, "bob", r));
    assertThat(second.hasNoEvents()).isTrue();
    var refused = (MenuReply.Refused) second.reply();
    assertThat(refused.code()).isEqualTo(ErrorCode.STALE_REVISION);
    assertThat(refused.field()).isEqualTo("version");
    assertThat(refused.message()).contains("after version " + opened);
    assertThat(kit.getState().menus().get("main")).isEqualTo(menu("main", "Home", "/", "A", "/a/"));
    // Sending what is already stored is done, whatever the version; removing checks it too.
    assertThat(
            kit.<MenuReply>runCommand(
                    r ->
                        new MenuCommand.Put(
                            menu("main", "Home", "/", "A", "/a/"), opened, "bob", r))
                .reply())
        .isInstanceOf(MenuReply.Stored.class);
    var remove = kit.<MenuReply>runCommand(r -> new MenuCommand.Remove("main", opened, "bob", r));
    assertThat(((MenuReply.Refused) remove.reply()).code()).isEqualTo(ErrorCode.STALE_REVISION);
    assertThat(
            kit.<MenuReply>runCommand(r -> new MenuCommand.Remove("main", opened + 1, "bob", r))
                .reply())
        .isInstanceOf(MenuReply.Stored.class);
  }

  /** Menu events as version 1 stores them still replay: a shape change needs a migration. */
  @Test
  void storedMenuEventsOfVersion1StillReplay() throws Exception {
    SiteMenus.State state = new SiteMenus.State(0, java.util.Map.of());
    for (Object event : StoredEvents.read(KIT.system(), "menu-events-v1.tsv")) {
      state = state.apply((SiteMenus.Event) event);
    }
    assertThat(state.version()).isEqualTo(3);
    assertThat(state.menus()).containsOnlyKeys("main");
    assertThat(state.menus().get("main").links())
        .containsExactly(
            new SiteMenu.Link("Home", "/"), new SiteMenu.Link("Source", "https://example.org/src"));
  }
}
