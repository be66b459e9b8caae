package io.asterline.twilio;

import java.util.Map;

/**
 * TwiML, the XML a voice webhook answers and a call update carries: {@code <Response>} with verbs in order. Every
 * attribute and text is escaped; nothing a caller or tenant typed reaches the XML raw.
 */
public final class Twiml {

  private final StringBuilder verbs = new StringBuilder();

  public static Twiml response() {
    return new Twiml();
  }

  /**
   * {@code <Connect action=...><Stream url=...><Parameter .../></Stream></Connect>}: a bidirectional Media Stream.
   * Twilio drops a query string on the stream URL, so the call's data rides as parameters, which arrive in the
   * stream's {@code start} message as {@code customParameters}. Twilio requests {@code action} (when not null) once
   * the stream ends without the call being redirected: the call goes on with what that answers.
   */
  public Twiml connectStream(String streamUrl, Map<String, String> parameters, String action) {
    verbs.append("<Connect");
    attr("action", action);
    verbs.append("><Stream");
    attr("url", streamUrl);
    verbs.append('>');
    parameters.forEach((name, value) -> {
      verbs.append("<Parameter");
      attr("name", name);
      attr("value", value);
      verbs.append("/>");
    });
    verbs.append("</Stream></Connect>");
    return this;
  }

  /** {@code <Dial>} one number; {@code action} (when not null) learns how the dial ended. */
  public Twiml dial(String number, String callerId, int timeoutSeconds, String action) {
    verbs.append("<Dial");
    attr("callerId", callerId);
    attr("timeout", Integer.toString(timeoutSeconds));
    attr("action", action);
    verbs.append("><Number>").append(escape(number)).append("</Number></Dial>");
    return this;
  }

  public Twiml say(String text) {
    verbs.append("<Say>").append(escape(text)).append("</Say>");
    return this;
  }

  public Twiml play(String url) {
    verbs.append("<Play>").append(escape(url)).append("</Play>");
    return this;
  }

  /** {@code <Record>} a message of at most {@code maxSeconds}; Twilio requests {@code action} with the recording. */
  public Twiml record(int maxSeconds, String action, String recordingStatusCallback) {
    verbs.append("<Record");
    attr("maxLength", Integer.toString(maxSeconds));
    attr("playBeep", "true");
    attr("action", action);
    attr("recordingStatusCallback", recordingStatusCallback);
    verbs.append("/>");
    return this;
  }

  public Twiml pause(int seconds) {
    verbs.append("<Pause");
    attr("length", Integer.toString(seconds));
    verbs.append("/>");
    return this;
  }

  /** {@code <Redirect>}: Twilio POSTs {@code url} and goes on with what it answers. */
  public Twiml redirect(String url) {
    verbs.append("<Redirect method=\"POST\">").append(escape(url)).append("</Redirect>");
    return this;
  }

  public Twiml hangup() {
    verbs.append("<Hangup/>");
    return this;
  }

  /** Refuses an inbound call before it is answered: {@code busy} or {@code rejected} (heard as not in service). */
  public Twiml reject(String reason) {
    verbs.append("<Reject");
    attr("reason", reason);
    verbs.append("/>");
    return this;
  }

  public String toXml() {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>" + verbs + "</Response>";
  }

  @Override
  public String toString() {
    return toXml();
  }

  private void attr(String name, String value) {
    if (value != null) {
      verbs.append(' ').append(name).append("=\"").append(escape(value)).append('"');
    }
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&apos;");
        default -> {
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            b.append(' '); // not allowed in XML 1.0
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }
}
