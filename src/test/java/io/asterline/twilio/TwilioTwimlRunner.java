package io.asterline.twilio;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Twilio's TwiML interpreter as Asterline's call control meets it, over {@link TwilioStandIn}: runs the verbs of a
 * webhook's answer or of a call update in order, as Twilio does. {@code <Connect><Stream>} leaves a live stream
 * waiting; an update carrying {@code Twiml} on a call whose stream is live stops the stream (the transport's
 * {@code onStreamStop} hook runs, as Twilio's {@code stop} message would make it) and runs the new TwiML; a
 * {@code <Dial>} posts its action with the DialCallStatus the test chose, a {@code <Record>} its action with the
 * recording the test chose (or, with none, goes on to the next verb, as Twilio does for a silent message), a
 * {@code <Redirect>} posts its URL; each answer is run in turn. Which verbs ran is kept per call, in order
 * ({@code Say}, {@code Connect}, {@code Dial +1555...}, {@code Record}, {@code Redirect}, {@code Hangup},
 * {@code Reject}, {@code Play}, {@code Pause}).
 */
final class TwilioTwimlRunner {

  private final TwilioStandIn twilio;
  private final Map<String, List<String>> ran = new ConcurrentHashMap<>();
  private final Map<String, String> liveStreams = new ConcurrentHashMap<>();
  /** Every webhook answer the runner got, in order (the TwiML Asterline answered). */
  final List<TwilioStandIn.Answer> answers = new CopyOnWriteArrayList<>();
  private volatile String dialStatus = "completed";
  private volatile int dialDuration = 42;
  private volatile String recordingUrl;
  private volatile int recordingDuration;
  private volatile Consumer<TwilioStandIn.Call> onStreamStop = call -> { };

  TwilioTwimlRunner(TwilioStandIn twilio) {
    this.twilio = twilio;
    twilio.onUpdate((call, form) -> form.first("Twiml").ifPresent(twiml -> {
      if (liveStreams.remove(call.sid) != null) {
        verbs(call).add("stream stopped");
        onStreamStop.accept(call);
        run(call, twiml);
      }
    }));
  }

  /** How the next {@code <Dial>}s end: Twilio's DialCallStatus and DialCallDuration. */
  TwilioTwimlRunner dialEnds(String status, int durationSeconds) {
    this.dialStatus = status;
    this.dialDuration = durationSeconds;
    return this;
  }

  /** What the next {@code <Record>}s get; null url: a silent message (no action request). */
  TwilioTwimlRunner recordingIs(String url, int durationSeconds) {
    this.recordingUrl = url;
    this.recordingDuration = durationSeconds;
    return this;
  }

  /** What the transport does when Twilio stops a stream (it reports the stream's end). */
  TwilioTwimlRunner onStreamStop(Consumer<TwilioStandIn.Call> hook) {
    this.onStreamStop = hook;
    return this;
  }

  /** The verbs run on {@code call} so far. */
  List<String> ran(TwilioStandIn.Call call) {
    return List.copyOf(verbs(call));
  }

  boolean streamLive(TwilioStandIn.Call call) {
    return liveStreams.containsKey(call.sid);
  }

  /**
   * The stream ended without the call being redirected (Asterline's update never came): Twilio requests the
   * {@code <Connect action>} and runs its answer.
   */
  void streamEndsWithoutRedirect(TwilioStandIn.Call call) {
    String action = liveStreams.remove(call.sid);
    if (action == null) {
      throw new IllegalStateException("no live stream on " + call.sid);
    }
    verbs(call).add("stream ended");
    post(call, action, twilio.callParams(call).add("CallStatus", call.status));
  }

  /** Runs a TwiML document on {@code call}, verb by verb, until one hands the call elsewhere or ends it. */
  void run(TwilioStandIn.Call call, String twiml) {
    Element response;
    try {
      response = DocumentBuilderFactory.newInstance().newDocumentBuilder()
          .parse(new ByteArrayInputStream(twiml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
    } catch (Exception e) {
      throw new IllegalStateException("not TwiML: " + twiml, e);
    }
    if (!response.getTagName().equals("Response")) {
      throw new IllegalStateException("TwiML without <Response>: " + twiml);
    }
    for (Node n = response.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (!(n instanceof Element verb)) {
        continue;
      }
      switch (verb.getTagName()) {
        case "Say", "Play", "Pause" -> verbs(call).add(verb.getTagName());
        case "Reject" -> {
          verbs(call).add("Reject");
          call.status = "busy".equals(verb.getAttribute("reason")) ? "busy" : "no-answer";
          return;
        }
        case "Hangup" -> {
          verbs(call).add("Hangup");
          call.status = "completed";
          return;
        }
        case "Connect" -> {
          verbs(call).add("Connect");
          call.status = "in-progress";
          Element stream = (Element) verb.getElementsByTagName("Stream").item(0);
          if (stream == null || stream.getAttribute("url").isEmpty()) {
            throw new IllegalStateException("<Connect> without a <Stream url>: " + twiml);
          }
          liveStreams.put(call.sid, verb.getAttribute("action"));
          return;
        }
        case "Dial" -> {
          call.status = "in-progress";
          String number = verb.getElementsByTagName("Number").item(0).getTextContent().trim();
          verbs(call).add("Dial " + number);
          String action = verb.getAttribute("action");
          if (action.isEmpty()) {
            continue;
          }
          TwilioForm form = twilio.callParams(call).add("CallStatus", call.status)
              .add("DialCallStatus", dialStatus).add("DialCallSid", "CA" + "d".repeat(32))
              .add("DialBridged", Boolean.toString(dialStatus.equals("completed")));
          if (dialStatus.equals("completed")) {
            form.add("DialCallDuration", dialDuration);
          }
          post(call, action, form);
          return;
        }
        case "Record" -> {
          call.status = "in-progress";
          verbs(call).add("Record");
          String url = recordingUrl;
          if (url == null) {
            continue; // silent: Twilio skips the action and goes on
          }
          post(call, verb.getAttribute("action"), twilio.callParams(call).add("CallStatus", call.status)
              .add("RecordingUrl", url).add("RecordingSid", url.substring(url.lastIndexOf('/') + 1))
              .add("RecordingDuration", recordingDuration).add("Digits", "hangup"));
          return;
        }
        case "Redirect" -> {
          verbs(call).add("Redirect");
          post(call, verb.getTextContent().trim(), twilio.callParams(call).add("CallStatus", call.status));
          return;
        }
        default -> throw new IllegalStateException("a verb this runner does not know: " + verb.getTagName());
      }
    }
    // the end of the document: Twilio hangs up
    call.status = "completed";
  }

  private void post(TwilioStandIn.Call call, String url, TwilioForm form) {
    TwilioStandIn.Answer answer = twilio.webhook(URI.create(url), form);
    answers.add(answer);
    if (answer.status() != 200) {
      // Twilio's "an application error has occurred", then the end
      verbs(call).add("application error " + answer.status());
      call.status = "completed";
      return;
    }
    run(call, answer.body());
  }

  private List<String> verbs(TwilioStandIn.Call call) {
    return ran.computeIfAbsent(call.sid, k -> new CopyOnWriteArrayList<>());
  }

}
