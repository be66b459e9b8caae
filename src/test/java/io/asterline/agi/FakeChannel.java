package io.asterline.agi;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiHangupException;
import org.asteriskjava.fastagi.AgiRequest;

/**
 * A map-backed channel for script unit tests: GET VARIABLE answers from the map, SET VARIABLE is recorded in
 * order. Any other AGI command fails the test, since our scripts must not send them. It can hang up after a
 * number of SET VARIABLEs, as Asterisk's 511 on a dead channel does.
 */
final class FakeChannel {

  final Map<String, String> variables = new HashMap<>();
  final Map<String, String> set = new LinkedHashMap<>();
  final List<String> setOrder = new ArrayList<>();
  private int hangupAfterSets = Integer.MAX_VALUE;

  FakeChannel variable(String name, String value) {
    variables.put(name, value);
    return this;
  }

  FakeChannel hangupAfterSets(int n) {
    hangupAfterSets = n;
    return this;
  }

  AgiChannel channel() {
    return (AgiChannel) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {AgiChannel.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getVariable" -> variables.get((String) args[0]);
          case "setVariable" -> {
            if (setOrder.size() >= hangupAfterSets) {
              throw new AgiHangupException();
            }
            set.put((String) args[0], (String) args[1]);
            setOrder.add((String) args[0]);
            variables.put((String) args[0], (String) args[1]);
            yield null;
          }
          case "toString" -> "FakeChannel";
          default -> throw new AssertionError("scripts must not send " + method.getName());
        });
  }

  /** An AGI request with these arguments and agi_* fields (extension, dnid, callerid, uniqueid, channel). */
  static AgiRequest request(String script, Map<String, String> env, String... arguments) {
    return (AgiRequest) Proxy.newProxyInstance(FakeChannel.class.getClassLoader(), new Class<?>[] {AgiRequest.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getScript" -> script;
          case "getRequestURL" -> "agi://127.0.0.1/" + script;
          case "getArguments" -> arguments.clone();
          case "getExtension" -> env.getOrDefault("extension", "s");
          case "getDnid" -> env.get("dnid");
          case "getCallerIdNumber" -> env.get("callerid");
          case "getUniqueId" -> env.getOrDefault("uniqueid", "1763700000.9");
          case "getChannel" -> env.getOrDefault("channel", "PJSIP/trunk-00000009");
          case "toString" -> "FakeRequest[" + script + "]";
          default -> throw new AssertionError("scripts must not read " + method.getName());
        });
  }
}
