package io.asterline.agent;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * What carries one call's audio between Asterisk and the agent: AudioSocket, Asterisk's WebSocket channel. The
 * agent calls it on the connection's own event loop only. Agent audio is G.711 µ-law at 8 kHz, as the Realtime
 * session speaks it; a transport that needs another encoding converts.
 */
public interface MediaLeg {

  /** The connection: its event loop is the call's, its allocator the agent's. */
  Channel channel();

  /** Queues agent audio of Realtime item {@code itemId} to be played in order; takes ownership of {@code mulaw}. */
  void play(String itemId, ByteBuf mulaw);

  /** True while agent audio is queued or still being played to the caller. */
  boolean playing();

  /**
   * Barge-in: drops every agent audio not played yet and answers what the caller heard of the item that was
   * playing, or null when nothing was queued.
   */
  Played flush();

  /** The agent is done (its decision is stored): the leg ends so the dialplan goes on. */
  void end();

  /** How much of a Realtime item the caller heard: what a truncate sends back. */
  record Played(String itemId, long millis) {}
}
