package io.asterline.feature;

/**
 * A feature that carries calls' audio between Asterisk and the agent (AudioSocket today; Asterisk's WebSocket
 * channel or another transport beside it). It is started before the features that send calls to it, since only
 * the started server knows its port, and registered after them, so that it stops first: shutdown waits for its
 * {@link #activeCalls()} and then ends the rest through their fallback.
 */
public interface MediaFeature extends Feature {

  /** Where Asterisk reaches it for a call, as the dialplan dials it (e.g. {@code 10.0.0.5:9092}). */
  String dialAddress();

  /** Calls connected through it right now. */
  int activeCalls();
}
