package io.asterline.twiliomedia;

import io.asterline.agent.MediaLeg.Played;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where Twilio's playback of the agent's audio stands. Twilio plays what it was sent in order, in real time, from
 * the moment its buffer has audio; each mark sent after a chunk is echoed once the chunk has played. Between echoes
 * the position advances 8 bytes (µ-law samples) per millisecond from the last known point, never past what was
 * sent. Positions are byte offsets in the stream of all agent audio sent on this call; a clear cuts it where the
 * caller is.
 */
final class StreamPlayout {

  private record Segment(String itemId, long start) {}

  private long sent;
  /** A known point: at {@code anchorNanos} Twilio was playing offset {@code anchorBytes} (or was idle there). */
  private long anchorBytes;
  private long anchorNanos;
  private final ArrayDeque<Segment> segments = new ArrayDeque<>();
  private final Map<String, Long> marks = new HashMap<>();
  private long nextMark;

  /** {@code bytes} of item {@code itemId} went to Twilio at {@code now}; answers the mark that follows them. */
  String sent(String itemId, int bytes, long now) {
    if (position(now) >= sent) {
      // Twilio's buffer was empty: playback starts with this audio
      anchorBytes = sent;
      anchorNanos = now;
    }
    Segment last = segments.peekLast();
    if (last == null || !Objects.equals(last.itemId(), itemId)) {
      segments.add(new Segment(itemId, sent));
    }
    sent += bytes;
    String mark = Long.toString(nextMark++, 36);
    marks.put(mark, sent);
    return mark;
  }

  /** Twilio echoed {@code mark}: everything before it has played by {@code now}. Unknown (cleared) marks: ignored. */
  void markEchoed(String mark, long now) {
    Long at = marks.remove(mark);
    if (at == null) {
      return;
    }
    marks.values().removeIf(offset -> offset <= at);
    anchorBytes = at;
    anchorNanos = now;
  }

  /** The offset being played at {@code now}. */
  long position(long now) {
    long elapsedBytes = Math.max(0, (now - anchorNanos) / 125_000);
    return Math.min(sent, anchorBytes + elapsedBytes);
  }

  long sent() {
    return sent;
  }

  /** True while agent audio is buffered at Twilio or being played. */
  boolean playing(long now) {
    return position(now) < sent;
  }

  /** Marks sent and not echoed yet. */
  int pendingMarks() {
    return marks.size();
  }

  /** What the caller heard of the item being played at {@code now}, or null when nothing is left to play. */
  Played played(long now) {
    long position = position(now);
    if (position >= sent) {
      return null;
    }
    Segment current = null;
    for (Segment s : segments) {
      if (s.start() <= position) {
        current = s;
      } else {
        break;
      }
    }
    if (current == null) {
      return null;
    }
    return new Played(current.itemId(), (position - current.start()) / 8);
  }

  /** A clear went out at {@code now}: what was buffered is gone; marks still pending come back but mean nothing. */
  void cleared(long now) {
    long position = position(now);
    sent = position;
    anchorBytes = position;
    anchorNanos = now;
    segments.clear();
    marks.clear();
  }

  /** Forgets items fully played, so the list stays as short as what is buffered. */
  void prune(long now) {
    long position = position(now);
    while (segments.size() > 1) {
      Segment first = segments.poll();
      Segment second = segments.peek();
      if (second.start() > position) {
        segments.addFirst(first);
        break;
      }
    }
  }
}
