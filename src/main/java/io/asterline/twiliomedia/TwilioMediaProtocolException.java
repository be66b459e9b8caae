package io.asterline.twiliomedia;

import io.netty.handler.codec.DecoderException;

/** A Media Streams message that does not say what Twilio's messages say: the stream is closed, the reason logged. */
public final class TwilioMediaProtocolException extends DecoderException {

  public TwilioMediaProtocolException(String message) {
    super(message);
  }
}
