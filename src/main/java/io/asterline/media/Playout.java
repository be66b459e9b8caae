package io.asterline.media;

import io.asterline.agent.MediaLeg.Played;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the far end's playback of the agent's audio stands, without it saying so every frame: a transport whose far
 * end buffers and paces the audio itself (Asterisk's WebSocket channel, Twilio's Media Streams). It plays what it
 * was sent in order, in real time, from the moment its queue has audio; each mark sent after a chunk comes back
 * (MEDIA_MARK_PROCESSED, Twilio's echoed mark) once that chunk is played; a flush (FLUSH_MEDIA, clear) drops what
 * was queued. Between marks the position advances
 * at 8 bytes (µ-law samples) per millisecond from the last known point, never past what was sent. Positions are
 * byte offsets in the stream of all agent audio sent on this call.
 */
public final class Playout {

  private record Segment(String itemId, long start) {}

  /** Bytes sent to Asterisk: the agent's audio and the silence that keeps the caller's RTP flowing between. */
  private long sent;
  /** Where the last agent audio sent ends: past it Asterisk plays only silence. */
  private long agentEnd;
  /** A known point: at {@code anchorNanos} Asterisk was playing offset {@code anchorBytes} (or was idle there). */
  private long anchorBytes;
  private long anchorNanos;
  private final ArrayDeque<Segment> segments = new ArrayDeque<>();
  private final Map<String, Long> marks = new HashMap<>();
  private long nextMark;

  /** {@code bytes} of item {@code itemId} went to Asterisk at {@code now}; answers the mark that follows them. */
  public String sent(String itemId, int bytes, long now) {
    String mark = append(itemId, bytes, now);
    agentEnd = sent;
    return mark;
  }

  /** {@code bytes} of silence went to Asterisk at {@code now}; answers the mark that follows them. */
  public String silence(int bytes, long now) {
    return append(null, bytes, now);
  }

  private String append(String itemId, int bytes, long now) {
    long played = position(now);
    if (played >= sent) {
      // Asterisk's queue was empty: playback starts with this audio, at its next tick
      anchorBytes = sent;
      anchorNanos = now;
    }
    Segment last = segments.peekLast();
    if (last == null || !java.util.Objects.equals(last.itemId(), itemId)) {
      segments.add(new Segment(itemId, sent));
    }
    sent += bytes;
    String mark = Long.toString(nextMark++, 36);
    marks.put(mark, sent);
    return mark;
  }

  /** MEDIA_MARK_PROCESSED: everything before the mark has been played by {@code now}. */
  public void markProcessed(String mark, long now) {
    Long at = marks.remove(mark);
    if (at == null) {
      return;
    }
    // earlier marks are behind the playhead now
    marks.values().removeIf(offset -> offset <= at);
    anchorBytes = at;
    anchorNanos = now;
  }

  /**
   * Asterisk said how much it holds (MEDIA_XOFF: 900 frames, MEDIA_XON: just under 800): the playhead is that far
   * behind what was sent, whatever the clock said. A channel whose core stopped reading for a while is behind it.
   */
  public void queuedIs(long bytes, long now) {
    anchorBytes = Math.max(0, sent - bytes);
    anchorNanos = now;
  }

  /** The offset being played at {@code now}. */
  public long position(long now) {
    long elapsedBytes = Math.max(0, (now - anchorNanos) / 125_000);
    return Math.min(sent, anchorBytes + elapsedBytes);
  }

  /** Bytes sent that Asterisk has not played yet. */
  public long queued(long now) {
    return sent - position(now);
  }

  public boolean playing(long now) {
    return position(now) < sent;
  }

  /** True while agent audio (not just silence) is queued or playing. */
  public boolean agentPlaying(long now) {
    return position(now) < agentEnd;
  }

  /** What the caller heard of the item being played at {@code now}, or null when nothing is left to play. */
  public Played played(long now) {
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
    if (current == null || current.itemId() == null) {
      return null;
    }
    return new Played(current.itemId(), (position - current.start()) / 8);
  }

  /** FLUSH_MEDIA went out at {@code now}: what was queued is gone, marks still pending will never come back. */
  public void flushed(long now) {
    long position = position(now);
    sent = position;
    agentEnd = Math.min(agentEnd, position);
    anchorBytes = position;
    anchorNanos = now;
    segments.clear();
    marks.clear();
  }

  /** Forgets items fully played, so the list stays as short as what is queued. */
  public void prune(long now) {
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

  /** Bytes sent so far, agent audio and silence. */
  public long sent() {
    return sent;
  }

  /** Marks sent whose echo has not come back yet. */
  public int pendingMarks() {
    return marks.size();
  }
}
