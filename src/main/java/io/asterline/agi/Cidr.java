package io.asterline.agi;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** An address block such as {@code 10.0.0.0/8} or {@code ::1/128}; a bare address is a block of one. */
public record Cidr(InetAddress network, int prefixLength) {

  public Cidr {
    int bits = network.getAddress().length * 8;
    if (prefixLength < 0 || prefixLength > bits) {
      throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0.." + bits);
    }
  }

  /**
   * Parses {@code 192.168.1.0/24}, {@code 10.0.0.5}, {@code ::1/128}. Only IP literals: a host name would need
   * DNS, and an allow list that depends on DNS can be changed by whoever controls DNS.
   *
   * @throws IllegalArgumentException naming the text when it is not a block
   */
  public static Cidr parse(String text) {
    String s = text.trim();
    int slash = s.indexOf('/');
    String address = slash < 0 ? s : s.substring(0, slash);
    if (!address.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address block such as 10.0.0.0/8 or ::1/128");
    }
    InetAddress network;
    try {
      network = InetAddress.getByName(address);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address block such as 10.0.0.0/8 or ::1/128");
    }
    int bits = network.getAddress().length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' has no valid prefix length after the /");
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("'" + text + "': prefix length must be 0.." + bits);
      }
    }
    return new Cidr(network, prefix);
  }

  public boolean contains(InetAddress address) {
    byte[] net = network.getAddress();
    byte[] addr = address.getAddress();
    if (net.length != addr.length) {
      return false;
    }
    int full = prefixLength / 8;
    if (!Arrays.equals(Arrays.copyOf(net, full), Arrays.copyOf(addr, full))) {
      return false;
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xFF << (8 - rest)) & 0xFF;
    return (net[full] & mask) == (addr[full] & mask);
  }

  @Override
  public String toString() {
    return network.getHostAddress() + "/" + prefixLength;
  }
}
