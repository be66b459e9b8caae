package io.asterline.doctor;

import io.asterline.agi.PingScript;
import io.asterline.outbound.AmiConfig;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.asteriskjava.manager.AuthenticationFailedException;
import org.asteriskjava.manager.DefaultManagerConnection;
import org.asteriskjava.manager.ManagerConnection;
import org.asteriskjava.manager.ResponseEvents;
import org.asteriskjava.manager.TimeoutException;
import org.asteriskjava.manager.action.CoreSettingsAction;
import org.asteriskjava.manager.action.EventGeneratingAction;
import org.asteriskjava.manager.action.GetVarAction;
import org.asteriskjava.manager.action.ManagerAction;
import org.asteriskjava.manager.action.ModuleCheckAction;
import org.asteriskjava.manager.action.OriginateAction;
import org.asteriskjava.manager.event.OriginateResponseEvent;
import org.asteriskjava.manager.response.CoreSettingsResponse;
import org.asteriskjava.manager.response.ManagerError;
import org.asteriskjava.manager.response.ManagerResponse;

/**
 * What the doctor asks Asterisk over AMI, with the least privilege that answers it. With the shipped user
 * ({@code read = call}, {@code write = originate,call,reporting}) everything but the FastAGI probe works:
 *
 * <ul>
 *   <li>modules: {@code Getvar IFMODULE(x.so)} (Getvar is class call/reporting; IFMODULE is what the dialplan
 *       itself uses), else {@code ModuleCheck} (class system);
 *   <li>contexts: {@code ShowDialPlan} with a Context (class config/reporting);
 *   <li>trunk endpoints: {@code Getvar PJSIP_ENDPOINT(name,context)} ({@code PJSIPShowEndpoint} would need
 *       system);
 *   <li>the addresses the dialplan dials: an async {@code Originate} of {@code AudioSocket/<address>/<uuid>}
 *       (class originate; the channel connects at once and answers), running {@code AGI(<ASTERLINE_AGI>/ping)}
 *       on it. Asterisk demands system for an Originate whose Application is AGI, so without it only
 *       AudioSocket is probed (Application Wait). The result comes as the OriginateResponse event (read call).
 * </ul>
 */
final class AsteriskChecks {

  /** A module the shipped dialplan needs, and what breaks without it. */
  record Module(String name, boolean required, String without) {}

  static final List<Module> MODULES = List.of(
      new Module("res_pjsip", true, "no SIP: the trunks can neither deliver nor place calls"),
      new Module("chan_pjsip", true, "no SIP channels: the trunks can neither deliver nor place calls"),
      new Module("res_agi", true, "AGI() is unknown: every call goes nowhere near Asterline"),
      new Module("res_audiosocket", true, "AudioSocket is unknown: no call reaches the agent"),
      new Module("chan_audiosocket", true, "Dial(AudioSocket/...) fails: no call reaches the agent"),
      new Module("app_dial", true, "Dial() is unknown: no call reaches the agent or a transfer"),
      new Module("app_mixmonitor", true, "MixMonitor() is unknown: calls are not recorded"),
      new Module("app_record", true, "Record() is unknown: voicemail hangs up on the caller"),
      new Module("app_playtones", true, "PlayTones() is unknown: where a sound file is missing the call hangs up"),
      new Module("func_module", true, "IFMODULE() is unknown: outbound calls cannot tell whether AMD is there"),
      new Module("app_amd", false, "outbound calls skip answering-machine detection (AMDSTATUS=NOTSURE)"));

  static final List<String> CONTEXTS = List.of("from-trunk", "asterline-outbound", "asterline-failure",
      "asterline-voicemail");

  /** [asterline-settings]'s default when [globals] sets no ASTERLINE_AGI. */
  static final String DEFAULT_AGI = "agi://127.0.0.1:4573";

  private static final String PERMISSION_DENIED = "Permission denied";
  private static final long ORIGINATE_TIMEOUT_MS = 10_000;

  private final AmiConfig ami;
  private final Duration probeWait;
  private final List<Finding> findings = new ArrayList<>();
  private final BlockingQueue<OriginateResponseEvent> originateResponses = new LinkedBlockingQueue<>();
  private ManagerConnection connection;

  AsteriskChecks(AmiConfig ami, Duration probeWait) {
    this.ami = ami;
    this.probeWait = probeWait;
  }

  /** A lost or silent AMI connection mid-way: the checks after it cannot run. */
  private static final class AmiLost extends Exception {
    AmiLost(String message) {
      super(message);
    }
  }

  /**
   * @param trunks PJSIP endpoint -> how many DIDs name it; empty when the database could not tell
   * @param watch where pings are heard; empty when the database is unavailable
   * @param audioSocketAddress host:port the dialplan dials for the agent, or null when unknown
   */
  List<Finding> run(Optional<Map<String, Integer>> trunks, Optional<PingWatch> watch, String audioSocketAddress) {
    if (!ami.enabled()) {
      findings.add(Finding.skip("asterisk", "ami.user is unset, so doctor cannot ask Asterisk anything (and outbound "
          + "calls are off): set ASTERISK_AMI_USER and ASTERISK_AMI_PASSWORD"));
      return findings;
    }
    String user = ami.user().orElseThrow();
    DefaultManagerConnection c = new DefaultManagerConnection(ami.host(), ami.port(), user,
        ami.password().orElseThrow());
    c.setDefaultResponseTimeout(ami.responseTimeout().toMillis());
    c.setKeepAliveAfterAuthenticationFailure(false);
    c.addEventListener(e -> {
      if (e instanceof OriginateResponseEvent r) {
        originateResponses.add(r);
      }
    });
    try {
      // "call": the event class of OriginateResponse, the only event the doctor waits for
      c.login("call");
    } catch (AuthenticationFailedException e) {
      findings.add(Finding.fail("ami login", "Asterisk at " + ami.address() + " refused user '" + user + "': set "
          + "ami.password (ASTERISK_AMI_PASSWORD) to that user's secret in manager.conf, and check that its "
          + "permit lines let this host in"));
      return findings;
    } catch (IOException | TimeoutException | RuntimeException e) {
      findings.add(Finding.fail("ami login", "cannot reach Asterisk's AMI at " + ami.address() + " (" + e.getMessage()
          + "): check ami.host/ami.port (ASTERISK_AMI_HOST/ASTERISK_AMI_PORT), that manager.conf has enabled = yes "
          + "and binds an address this host reaches"));
      return findings;
    }
    connection = c;
    try {
      findings.add(Finding.ok("ami login", "logged in to " + ami.address() + " as '" + user + "'" + version()));
      modules();
      mediaTransport();
      contexts();
      trunks(trunks);
      reachability(watch, audioSocketAddress);
    } catch (AmiLost e) {
      findings.add(Finding.fail("ami", e.getMessage() + " (" + ami.address() + "): the remaining Asterisk checks "
          + "did not run"));
    } finally {
      try {
        c.logoff();
      } catch (RuntimeException ignored) {
        // going anyway
      }
    }
    return findings;
  }

  private String version() throws AmiLost {
    ManagerResponse r = send(new CoreSettingsAction());
    if (r instanceof CoreSettingsResponse s && s.getAsteriskVersion() != null) {
      return " (Asterisk " + s.getAsteriskVersion() + ")";
    }
    return "";
  }

  // ------------------------------------------------------------------ modules

  private enum State { RUNNING, MISSING, UNKNOWN }

  private void modules() throws AmiLost {
    Value probe = getvar("IFMODULE(func_module.so)");
    boolean getvarAllowed = !probe.denied();
    boolean ifmodule = probe.is("1");
    Map<Module, State> states = new LinkedHashMap<>();
    for (Module m : MODULES) {
      State s;
      if (ifmodule) {
        s = getvar("IFMODULE(" + m.name() + ".so)").is("1") ? State.RUNNING : State.MISSING;
      } else if (m.name().equals("func_module") && getvarAllowed) {
        // Getvar answered, but IFMODULE() was not a function it knew
        s = State.MISSING;
      } else {
        s = moduleCheck(m.name());
      }
      states.put(m, s);
    }
    List<String> running = states.entrySet().stream().filter(e -> e.getValue() == State.RUNNING)
        .map(e -> e.getKey().name()).toList();
    List<String> unknown = states.entrySet().stream().filter(e -> e.getValue() == State.UNKNOWN)
        .map(e -> e.getKey().name()).toList();
    if (!running.isEmpty()) {
      findings.add(Finding.ok("modules", "running: " + String.join(", ", running)));
    }
    for (Map.Entry<Module, State> e : states.entrySet()) {
      Module m = e.getKey();
      if (e.getValue() == State.MISSING) {
        String fix = "load it (asterisk -rx \"module load " + m.name() + ".so\"" + (m.required()
            ? ", and require = " + m.name() + ".so in modules.conf" : ", with amd.conf present") + ") or use an "
            + "Asterisk image that builds it (README: Changing the Asterisk image)";
        String line = "not running: " + m.without() + "; " + fix;
        findings.add(m.required() ? Finding.fail("module " + m.name(), line) : Finding.warn("module " + m.name(), line));
      }
    }
    if (!unknown.isEmpty()) {
      findings.add(Finding.skip("modules", "this AMI user may not list modules; add `system` to its read/write to let "
          + "doctor check them (not checked: " + String.join(", ", unknown) + ")"));
    }
  }

  private State moduleCheck(String module) throws AmiLost {
    ManagerResponse r = send(new ModuleCheckAction(module));
    if (denied(r)) {
      return State.UNKNOWN;
    }
    return r instanceof ManagerError ? State.MISSING : State.RUNNING;
  }

  // ------------------------------------------------------------------ dialplan

  private void contexts() throws AmiLost {
    List<String> missing = new ArrayList<>();
    for (String context : CONTEXTS) {
      ManagerResponse r = sendListing(new DialplanContextAction(context));
      if (denied(r)) {
        findings.add(Finding.skip("dialplan", "this AMI user may not read the dialplan; add `reporting` to its write "
            + "to let doctor check the contexts " + String.join(", ", CONTEXTS)));
        return;
      }
      if (r instanceof ManagerError) {
        missing.add(context);
      }
    }
    if (missing.isEmpty()) {
      findings.add(Finding.ok("dialplan", "contexts " + String.join(", ", CONTEXTS) + " exist"));
    } else {
      findings.add(Finding.fail("dialplan", "no context " + String.join(", ", missing) + " in Asterisk's dialplan: "
          + "#include the repository's dialplan/extensions_*.conf from extensions.conf, then asterisk -rx "
          + "\"dialplan reload\""));
    }
  }

  private void trunks(Optional<Map<String, Integer>> trunks) throws AmiLost {
    if (trunks.isEmpty()) {
      findings.add(Finding.skip("trunks", "the database could not say which trunks the DIDs use"));
      return;
    }
    if (trunks.get().isEmpty()) {
      findings.add(Finding.skip("trunks", "no DIDs yet, so no trunk to look for"));
      return;
    }
    Value lookup = getvar("IFMODULE(func_pjsip_endpoint.so)");
    if (!lookup.denied() && !lookup.is("1")) {
      // without PJSIP_ENDPOINT() every endpoint would look missing
      findings.add(Finding.skip("trunks", "func_pjsip_endpoint is not running, so doctor cannot look up the DIDs' "
          + "trunks (" + String.join(", ", trunks.get().keySet()) + "); load it, or check them with asterisk -rx "
          + "\"pjsip show endpoints\""));
      return;
    }
    List<String> found = new ArrayList<>();
    for (Map.Entry<String, Integer> t : trunks.get().entrySet()) {
      Value endpoint = getvar("PJSIP_ENDPOINT(" + t.getKey() + ",context)");
      Optional<String> context = endpoint.value();
      if (endpoint.denied()) {
        findings.add(Finding.skip("trunks", "this AMI user may not read dialplan functions; add `reporting` to its "
            + "write to let doctor look up the trunks' PJSIP endpoints"));
        return;
      }
      if (context.isEmpty()) {
        findings.add(Finding.fail("trunk " + t.getKey(), "no PJSIP endpoint " + t.getKey() + " in Asterisk, though "
            + t.getValue() + " DID(s) name it as their trunk: add the endpoint to pjsip.conf (SIP_TRUNKS in the compose "
            + "stack) or set those DIDs' trunk to an endpoint that exists (asterisk -rx \"pjsip show endpoints\")"));
      } else {
        found.add(t.getKey() + " (context " + context.get() + ")");
      }
    }
    if (!found.isEmpty()) {
      findings.add(Finding.ok("trunks", "PJSIP endpoints of the DIDs exist: " + String.join(", ", found)));
    }
  }

  // ------------------------------------------------------------------ reachability

  private void reachability(Optional<PingWatch> watch, String audioSocketAddress) throws AmiLost {
    List<String> agis = new ArrayList<>();
    Value primary = getvar("ASTERLINE_AGI");
    if (primary.denied()) {
      findings.add(Finding.skip("fastagi", "this AMI user may not read global variables; add `reporting` to its "
          + "write to let doctor read ASTERLINE_AGI"));
      return;
    }
    agis.add(primary.value().orElse(DEFAULT_AGI));
    getvar("ASTERLINE_AGI_BACKUP").value().ifPresent(agis::add);
    if (audioSocketAddress == null) {
      findings.add(Finding.skip("audiosocket", "audiosocket.port is 0 and agi.audiosocket-address unset, so the "
          + "address Asterisk dials is known only to a running node: set AGI_AUDIOSOCKET_ADDRESS"));
      findings.add(Finding.skip("fastagi", "probed over an AudioSocket leg, which needs its address"));
      return;
    }
    boolean audioSocketReported = false;
    for (String agi : agis) {
      String token = UUID.randomUUID().toString();
      String channel = "AudioSocket/" + audioSocketAddress + "/" + token + "/c(slin)";
      String url = agi.endsWith("/") ? agi + PingScript.NAME : agi + "/" + PingScript.NAME;
      Optional<String> refused = originate(channel, "AGI", url + "," + token, token);
      boolean agiForbidden = refused.isPresent() && refused.get().startsWith("Originate Access Forbidden");
      if (agiForbidden) {
        token = UUID.randomUUID().toString();
        channel = "AudioSocket/" + audioSocketAddress + "/" + token + "/c(slin)";
        refused = originate(channel, "Wait", "1", token);
      }
      if (refused.isPresent()) {
        findings.add(Finding.fail("ami originate", "Asterisk refused the probe's Originate (" + refused.get() + "): "
            + "this AMI user needs `originate` in its write, or outbound calls fail the same way"));
        return;
      }
      OriginateResponseEvent response = awaitResponse(token);
      if (!audioSocketReported) {
        audioSocketReported = true;
        if (response == null) {
          findings.add(Finding.fail("audiosocket", "no OriginateResponse within " + (ORIGINATE_TIMEOUT_MS / 1000 + 5)
              + "s: the AMI user needs `call` in its read, and an eventfilter in manager.conf must let "
              + "OriginateResponse through (outbound calls would never learn their outcome either)"));
        } else if (response.getReason() == null || response.getReason() != 4) {
          findings.add(Finding.fail("audiosocket", "Asterisk could not connect to AudioSocket at " + audioSocketAddress
              + " (OriginateResponse reason " + response.getReason() + "): run asterline serve with audiosocket.bind "
              + "on an address Asterisk reaches, and set agi.audiosocket-address (AGI_AUDIOSOCKET_ADDRESS) to it"));
        } else {
          findings.add(Finding.ok("audiosocket", "Asterisk connected to AudioSocket at " + audioSocketAddress));
        }
      }
      if (agiForbidden) {
        findings.add(Finding.skip("fastagi " + agi, "this AMI user may not originate AGI; add `system` to its write "
            + "to let doctor have Asterisk run AGI(" + url + ")"));
        continue;
      }
      if (response == null || response.getReason() == null || response.getReason() != 4) {
        findings.add(Finding.skip("fastagi " + agi, "probed over the AudioSocket leg, which did not connect"));
        continue;
      }
      if (watch.isEmpty()) {
        findings.add(Finding.skip("fastagi " + agi, "Asterisk ran AGI(" + url + "), but without the database doctor "
            + "cannot hear the node's answer"));
        continue;
      }
      boolean heard;
      try {
        heard = watch.get().await(token, probeWait);
      } catch (SQLException e) {
        findings.add(Finding.skip("fastagi " + agi, "lost the database while waiting for the ping: " + e.getMessage()));
        continue;
      }
      if (heard) {
        findings.add(Finding.ok("fastagi " + agi, "Asterisk ran AGI(" + url + ") and an Asterline node answered"));
      } else {
        findings.add(Finding.fail("fastagi " + agi, "Asterisk ran AGI(" + url + ") but no Asterline node on this "
            + "database answered within " + probeWait.toSeconds() + "s: run asterline serve there (agi.bind/agi.port), "
            + "put the Asterisk server's address in agi.allow (AGI_ALLOW), and set ASTERLINE_AGI in extensions.conf "
            + "[globals] to where it listens (Asterisk logs \"FastAGI failed\" when it cannot connect)"));
      }
    }
  }

  /** Empty when queued, else Asterisk's error message. */
  private Optional<String> originate(String channel, String application, String data, String token) throws AmiLost {
    OriginateAction o = new OriginateAction();
    o.setChannel(channel);
    o.setApplication(application);
    o.setData(data);
    o.setAsync(true);
    o.setTimeout(ORIGINATE_TIMEOUT_MS);
    o.setCallerId("\"asterline doctor\" <0>");
    o.setActionId("doctor-" + token);
    ManagerResponse r = send(o);
    return r instanceof ManagerError ? Optional.of(String.valueOf(r.getMessage())) : Optional.empty();
  }

  private OriginateResponseEvent awaitResponse(String token) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ORIGINATE_TIMEOUT_MS + 5000);
    try {
      while (true) {
        long left = deadline - System.nanoTime();
        OriginateResponseEvent e = left <= 0 ? null : originateResponses.poll(left, TimeUnit.NANOSECONDS);
        if (e == null) {
          return null;
        }
        if (("doctor-" + token).equals(e.getActionId())) {
          return e;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  // ------------------------------------------------------------------ media transport

  /** The modules Dial(WebSocket/...) needs: the channel, and the client that reads websocket_client.conf. */
  static final List<String> WEBSOCKET_MODULES = List.of("chan_websocket", "res_websocket_client");

  /**
   * Which transport the dialplan's ASTERLINE_MEDIA asks for, and whether this Asterisk can carry it: websocket
   * without chan_websocket (Asterisk before 22.5, or not loaded) is not a failure, because [asterline-agent-leg]
   * falls back to AudioSocket, but the operator loses what websocket was chosen for.
   */
  private void mediaTransport() throws AmiLost {
    Value media = getvar("ASTERLINE_MEDIA");
    if (media.denied()) {
      return; // the dialplan check says how to let doctor read globals
    }
    String transport = media.value().orElse("audiosocket");
    if (!transport.equals("websocket")) {
      findings.add(Finding.ok("media", "ASTERLINE_MEDIA is " + transport + (media.value().isEmpty() ? " (unset)" : "")
          + ": the agent's audio goes over AudioSocket"));
      return;
    }
    List<String> missing = new ArrayList<>();
    for (String module : WEBSOCKET_MODULES) {
      Value loaded = getvar("IFMODULE(" + module + ".so)");
      if (!loaded.is("1") && moduleCheck(module) != State.RUNNING) {
        missing.add(module);
      }
    }
    if (missing.isEmpty()) {
      findings.add(Finding.ok("media", "ASTERLINE_MEDIA is websocket: chan_websocket and res_websocket_client are "
          + "running (µ-law untouched, Asterisk paces the agent's audio)"));
    } else {
      findings.add(Finding.warn("media", "ASTERLINE_MEDIA is websocket but " + String.join(" and ", missing)
          + (missing.size() == 1 ? " is" : " are") + " not running: every call falls back to AudioSocket "
          + "(transcoded, paced by Asterline); load " + String.join(".so and ", missing) + ".so (Asterisk 22.5 or "
          + "later) with docker/asterisk's websocket_client.conf, or set ASTERLINE_MEDIA=audiosocket"));
    }
  }

  // ------------------------------------------------------------------ AMI plumbing

  /** Getvar's answer: {@code denied} when this user may not use Getvar, else the value (empty when unset). */
  private record Value(boolean denied, Optional<String> value) {
    boolean is(String expected) {
      return value.filter(expected::equals).isPresent();
    }
  }

  /** A global variable's or a function's value. */
  private Value getvar(String variable) throws AmiLost {
    ManagerResponse r = send(new GetVarAction(variable));
    if (denied(r)) {
      return new Value(true, Optional.empty());
    }
    if (r instanceof ManagerError) {
      return new Value(false, Optional.empty());
    }
    String value = r.getAttribute("Value");
    return new Value(false, Optional.ofNullable(value).map(String::trim).filter(v -> !v.isEmpty()));
  }

  private static boolean denied(ManagerResponse r) {
    return r instanceof ManagerError && r.getMessage() != null && r.getMessage().startsWith(PERMISSION_DENIED);
  }

  private ManagerResponse send(ManagerAction action) throws AmiLost {
    try {
      return connection.sendAction(action, ami.responseTimeout().toMillis());
    } catch (IOException | IllegalStateException e) {
      throw new AmiLost("AMI connection lost: " + e.getMessage());
    } catch (TimeoutException e) {
      throw new AmiLost("no answer to " + action.getAction() + " within " + ami.responseTimeout().toMillis() + "ms");
    }
  }

  private ManagerResponse sendListing(EventGeneratingAction action) throws AmiLost {
    try {
      ResponseEvents events = connection.sendEventGeneratingAction(action, ami.responseTimeout().toMillis() * 2);
      return events.getResponse();
    } catch (IOException | IllegalStateException e) {
      throw new AmiLost("AMI connection lost: " + e.getMessage());
    } catch (TimeoutException e) {
      throw new AmiLost("no answer to " + action.getAction() + " within " + ami.responseTimeout().toMillis() * 2 + "ms");
    }
  }
}
