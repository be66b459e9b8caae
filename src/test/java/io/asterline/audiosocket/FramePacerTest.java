package io.asterline.audiosocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The shared 20 ms clock of an event loop: every call gets one turn every 20 ms, in the order the calls joined, and
 * calls joining or leaving in the middle of a tick neither lose nor gain a frame of anyone else.
 */
class FramePacerTest {

  private final EventLoop loop = new DefaultEventLoop();
  /** One group: every call takes its turn at every tick, which makes the order easy to see. */
  private final FramePacer pacer = new FramePacer(loop, 1);
  /** Every turn as "name@tick", in the order they ran (touched on the loop only; read after a sync). */
  private final List<String> turns = new ArrayList<>();
  private final List<Long> dues = new ArrayList<>();

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** A call that records its turns and then runs {@code also} (on its own turn, inside the tick). */
  private final class Call implements FramePacer.Paced {
    final String name;
    final List<Long> myDues = new ArrayList<>();
    Runnable also = () -> {};

    Call(String name) {
      this.name = name;
    }

    @Override
    public void tick(long dueNanos, long startedNanos) {
      if (!dues.contains(dueNanos)) {
        dues.add(dueNanos);
      }
      turns.add(name + "@" + dues.indexOf(dueNanos));
      myDues.add(dueNanos);
      also.run();
    }
  }

  private <T> T onLoop(Callable<T> c) throws Exception {
    return loop.submit(c).get(2, TimeUnit.SECONDS);
  }

  private void onLoop(Runnable r) throws Exception {
    loop.submit(r).get(2, TimeUnit.SECONDS);
  }

  private void awaitTicks(int n) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (onLoop(() -> dues.size()) < n) {
      assertThat(System.nanoTime()).as("%d ticks within 3 s", n).isLessThan(end);
      Thread.sleep(5);
    }
  }

  @Test
  void everyCallGetsOneTurnPerTickInTheOrderItJoined() throws Exception {
    Call a = new Call("a");
    Call b = new Call("b");
    Call c = new Call("c");
    onLoop(() -> {
      pacer.add(a);
      pacer.add(b);
      pacer.add(c);
    });
    awaitTicks(30);
    onLoop(() -> {
      pacer.remove(a);
      pacer.remove(b);
      pacer.remove(c);
    });
    List<String> seen = onLoop(() -> new ArrayList<>(turns));
    for (int t = 0; t < 29; t++) {
      assertThat(seen.subList(3 * t, 3 * t + 3)).containsExactly("a@" + t, "b@" + t, "c@" + t);
    }
    // each call's frames are due exactly 20 ms apart on the loop's clock
    for (int i = 1; i < a.myDues.size(); i++) {
      assertThat(a.myDues.get(i) - a.myDues.get(i - 1)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
    }
    assertThat(a.myDues).isEqualTo(b.myDues).isEqualTo(c.myDues);
  }

  @Test
  void aCallLeavingMidTickLosesItsTurnAndNobodyElseLosesTheirs() throws Exception {
    Call a = new Call("a");
    Call b = new Call("b");
    Call c = new Call("c");
    int[] ticksOfA = new int[1];
    // at its third turn, a hangs up b (e.g. a shutdown ending calls), then a itself leaves
    a.also = () -> {
      if (++ticksOfA[0] == 3) {
        pacer.remove(b);
        pacer.remove(a);
      }
    };
    onLoop(() -> {
      pacer.add(a);
      pacer.add(b);
      pacer.add(c);
    });
    awaitTicks(6);
    List<String> seen = onLoop(() -> new ArrayList<>(turns));
    assertThat(seen.subList(0, 9)).containsExactly(
        "a@0", "b@0", "c@0",
        "a@1", "b@1", "c@1",
        "a@2", "c@2",
        "c@3");
    assertThat(onLoop(pacer::size)).isEqualTo(1);
    onLoop(() -> pacer.remove(c));
  }

  @Test
  void aCallJoiningMidTickStartsAtTheNextTick() throws Exception {
    Call a = new Call("a");
    Call b = new Call("b");
    Call late = new Call("late");
    int[] ticksOfA = new int[1];
    a.also = () -> {
      if (++ticksOfA[0] == 2) {
        pacer.add(late);
      }
    };
    onLoop(() -> {
      pacer.add(a);
      pacer.add(b);
    });
    awaitTicks(4);
    onLoop(() -> {
      pacer.remove(a);
      pacer.remove(b);
      pacer.remove(late);
    });
    List<String> seen = onLoop(() -> new ArrayList<>(turns));
    assertThat(seen.subList(0, 8)).containsExactly(
        "a@0", "b@0",
        "a@1", "b@1",
        "a@2", "b@2", "late@2",
        "a@3");
  }

  @Test
  void theClockStopsWithItsLastCallAndStartsAgainWithTheNext() throws Exception {
    Call a = new Call("a");
    onLoop(() -> pacer.add(a));
    awaitTicks(2);
    onLoop(() -> pacer.remove(a));
    int after = onLoop(() -> turns.size());
    Thread.sleep(100);
    assertThat(onLoop(() -> turns.size())).as("no turns once every call left").isEqualTo(after);

    Call b = new Call("b");
    onLoop(() -> pacer.add(b));
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (onLoop(() -> b.myDues.size()) < 3) {
      assertThat(System.nanoTime()).isLessThan(end);
      Thread.sleep(5);
    }
    onLoop(() -> pacer.remove(b));
    assertThat(a.myDues).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void groupsTakeTurnsSpreadOverThe20MsAndEachCallKeepsItsOwn20MsBeat() throws Exception {
    FramePacer grouped = new FramePacer(loop, 4);
    List<Call> calls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calls.add(new Call("c" + i));
    }
    onLoop(() -> calls.forEach(grouped::add));
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (onLoop(() -> calls.stream().mapToInt(c -> c.myDues.size()).min().orElse(0)) < 10) {
      assertThat(System.nanoTime()).isLessThan(end);
      Thread.sleep(5);
    }
    onLoop(() -> calls.forEach(grouped::remove));
    assertThat(onLoop(grouped::size)).isZero();
    java.util.Map<Long, Integer> perTick = new java.util.TreeMap<>();
    for (Call c : calls) {
      for (int i = 1; i < c.myDues.size(); i++) {
        assertThat(c.myDues.get(i) - c.myDues.get(i - 1)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
      }
      for (long due : c.myDues) {
        perTick.merge(due, 1, Integer::sum);
      }
    }
    // two calls per tick, the ticks 5 ms apart
    List<Long> ticks = new ArrayList<>(perTick.keySet());
    for (int i = 1; i < ticks.size(); i++) {
      assertThat(ticks.get(i) - ticks.get(i - 1)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(5));
    }
    assertThat(perTick.values().stream().limit(ticks.size() - 4)).allMatch(n -> n == 2);
  }
}
