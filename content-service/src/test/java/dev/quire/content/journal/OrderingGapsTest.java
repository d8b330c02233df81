package dev.quire.content.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The bookkeeping that gives up ordering values of rolled-back writes; on a real PostgreSQL in
 * {@code TagRangeReadJournalDaoTest}.
 */
class OrderingGapsTest {

  static final Supplier<Set<String>> NOT_ASKED =
      () -> {
        throw new AssertionError("open transactions asked without a new gap");
      };

  @Test
  void valuesWithoutGapsPassAsTheyAreAndNothingIsAsked() {
    OrderingGaps gaps = new OrderingGaps(1_000);
    assertThat(gaps.resolve(0, List.of(1L, 2L, 3L), null, NOT_ASKED)).containsExactly(1L, 2L, 3L);
    assertThat(gaps.gaps()).isEmpty();
    assertThat(gaps.pendingAbove(0)).isFalse();
  }

  @Test
  void aGapIsGivenUpOnlyOnALaterReadAfterEveryTransactionOpenAtItsFirstSightEnded() {
    OrderingGaps gaps = new OrderingGaps(1_000);
    // First seen: never given up on the same read, even with nothing open.
    assertThat(gaps.resolve(0, List.of(1L, 4L), null, () -> Set.of("7@a", "8@b")))
        .containsExactly(1L, 4L);
    assertThat(gaps.pendingAbove(1)).isTrue();
    // 7@a still open: kept.
    assertThat(gaps.resolve(1, List.of(4L, 5L), Set.of("7@a", "9@c"), NOT_ASKED))
        .containsExactly(4L, 5L);
    // 7@a is open again in a new transaction (7@x): not the one that was open, so given up.
    assertThat(gaps.resolve(1, List.of(4L, 5L), Set.of("7@x", "9@c"), NOT_ASKED))
        .containsExactly(2L, 3L, 4L, 5L);
    assertThat(gaps.gaps()).isEmpty();
  }

  @Test
  void aGapSeenWhenNothingWasOpenIsGivenUpOnTheNextRead() {
    OrderingGaps gaps = new OrderingGaps(1_000);
    assertThat(gaps.resolve(0, List.of(2L), null, Set::of)).containsExactly(2L);
    assertThat(gaps.resolve(0, List.of(2L), Set.of("1@a"), NOT_ASKED)).containsExactly(1L, 2L);
  }

  @Test
  void aRowThatCommitsLateIsReadAndItsGapForgotten() {
    OrderingGaps gaps = new OrderingGaps(1_000);
    gaps.resolve(0, List.of(1L, 3L), null, () -> Set.of("7@a"));
    assertThat(gaps.resolve(1, List.of(2L, 3L), Set.of("7@a"), NOT_ASKED)).containsExactly(2L, 3L);
    assertThat(gaps.gaps()).isEmpty();
  }

  @Test
  void partOfAGapFilledLeavesTheRestToBeGivenUp() {
    OrderingGaps gaps = new OrderingGaps(1_000);
    gaps.resolve(1, List.of(6L), null, () -> Set.of("7@a", "8@b"));
    assertThat(gaps.gaps()).containsExactly(new OrderingGaps.Gap(2, 6, Set.of("7@a", "8@b")));
    // 8@b committed value 4; 7@a is still open.
    assertThat(gaps.resolve(1, List.of(4L, 6L), Set.of("7@a"), NOT_ASKED)).containsExactly(4L, 6L);
    assertThat(gaps.gaps())
        .containsExactly(
            new OrderingGaps.Gap(2, 4, Set.of("7@a")), new OrderingGaps.Gap(5, 6, Set.of("7@a")));
    assertThat(gaps.resolve(1, List.of(4L, 6L), Set.of(), NOT_ASKED))
        .containsExactly(2L, 3L, 4L, 5L, 6L);
  }

  @Test
  void aGapBeyondAReadCutShortByItsLimitIsKept() {
    OrderingGaps gaps = new OrderingGaps(1_000);
    gaps.resolve(0, List.of(1L, 2L, 3L, 5L), null, () -> Set.of("7@a"));
    // The reader restarted lower (a new query from 0), and its limit stopped it before the gap.
    assertThat(gaps.resolve(0, List.of(1L, 2L), Set.of("7@a"), NOT_ASKED)).containsExactly(1L, 2L);
    assertThat(gaps.gaps()).containsExactly(new OrderingGaps.Gap(4, 5, Set.of("7@a")));
    assertThat(gaps.resolve(2, List.of(3L, 5L), Set.of(), NOT_ASKED)).containsExactly(3L, 4L, 5L);
  }

  @Test
  void aReaderMovedIntoAGapKeepsTheRestWithItsWriters() {
    OrderingGaps gaps = new OrderingGaps(1_000);
    gaps.resolve(0, List.of(1L, 6L), null, () -> Set.of("7@a"));
    // The library gave 2 and 3 up itself (its own wait), and reads on from 3.
    assertThat(gaps.resolve(3, List.of(6L), Set.of("7@a"), NOT_ASKED)).containsExactly(6L);
    assertThat(gaps.gaps()).containsExactly(new OrderingGaps.Gap(4, 6, Set.of("7@a")));
    assertThat(gaps.resolve(3, List.of(6L), Set.of(), NOT_ASKED)).containsExactly(4L, 5L, 6L);
  }

  @Test
  void aNewGapBesideAKnownOneHasItsOwnWriters() {
    OrderingGaps gaps = new OrderingGaps(1_000);
    gaps.resolve(0, List.of(1L, 3L), null, () -> Set.of("7@a"));
    // The next read ends at 6, with 4 and 5 missing too: a new gap, with the writers open now.
    assertThat(gaps.resolve(1, List.of(3L, 6L), Set.of(), () -> Set.of("8@b")))
        .containsExactly(2L, 3L, 6L);
    assertThat(gaps.gaps()).containsExactly(new OrderingGaps.Gap(4, 6, Set.of("8@b")));
    assertThat(gaps.resolve(3, List.of(6L), Set.of("8@b"), NOT_ASKED)).containsExactly(6L);
    assertThat(gaps.resolve(3, List.of(6L), Set.of("9@c"), NOT_ASKED)).containsExactly(4L, 5L, 6L);
  }

  @Test
  void aGapLargerThanTheLimitIsLeftToTheLibrary() {
    OrderingGaps gaps = new OrderingGaps(3);
    gaps.resolve(0, List.of(1L, 3L, 10L), null, Set::of);
    // 2 fits; 4..9 (six values) would pass the limit of three: not handed back, still known.
    assertThat(gaps.resolve(1, List.of(3L, 10L), Set.of(), NOT_ASKED)).containsExactly(2L, 3L, 10L);
    assertThat(gaps.gaps()).containsExactly(new OrderingGaps.Gap(4, 10, Set.of()));
    // Once the library has given it up and reads on from above it, it is forgotten.
    assertThat(gaps.resolve(10, List.of(11L), null, NOT_ASKED)).containsExactly(11L);
    assertThat(gaps.gaps()).isEmpty();
  }

  @Test
  void aSessionWhoseTransactionStartIsNotKnownHoldsAndIsHeldByItsOwnTransactions() {
    // Listed with its start at first sight, then without (its activity no longer reported).
    assertThat(OrderingGaps.stillOpen("7@100", Set.of("7@*"))).isTrue();
    // Listed without a start at first sight: any transaction of that session may be it.
    assertThat(OrderingGaps.stillOpen("7@*", Set.of("7@200"))).isTrue();
    assertThat(OrderingGaps.stillOpen("7@*", Set.of("7@*"))).isTrue();
    assertThat(OrderingGaps.stillOpen("7@100", Set.of("7@200", "8@*"))).isFalse();
    assertThat(OrderingGaps.stillOpen("7@*", Set.of("17@200", "8@*"))).isFalse();
    // H2's journal writes: names without a session.
    assertThat(OrderingGaps.stillOpen("write-3", Set.of("write-3"))).isTrue();
    assertThat(OrderingGaps.stillOpen("write-3", Set.of("write-4"))).isFalse();

    OrderingGaps gaps = new OrderingGaps(1_000);
    gaps.resolve(0, List.of(1L, 3L), null, () -> Set.of("7@100"));
    assertThat(gaps.resolve(1, List.of(3L), Set.of("7@*"), NOT_ASKED)).containsExactly(3L);
    assertThat(gaps.resolve(1, List.of(3L), Set.of("7@300"), NOT_ASKED)).containsExactly(2L, 3L);
  }

  @Test
  void aLimitBelowOneIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new OrderingGaps(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxValues");
  }

  @Test
  void aGapWhoseWritersCouldNotBeListedWaitsForTheLibrary() {
    OrderingGaps gaps = new OrderingGaps(1_000);
    gaps.resolve(0, List.of(1L, 3L), null, () -> null);
    assertThat(gaps.resolve(1, List.of(3L), Set.of(), NOT_ASKED)).containsExactly(3L);
    assertThat(gaps.resolve(1, List.of(3L), Set.of(), NOT_ASKED)).containsExactly(3L);
    // The library gives it up itself and reads on from above it: the gap is dropped.
    assertThat(gaps.resolve(3, List.of(4L), null, NOT_ASKED)).containsExactly(4L);
    assertThat(gaps.gaps()).isEmpty();
    assertThat(gaps.pendingAbove(3)).isFalse();
  }
}
