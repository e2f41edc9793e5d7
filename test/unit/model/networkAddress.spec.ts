import * as assert from "assert";
import { nonPublicAddress, nonPublicHost } from "../../../model/networkAddress";

describe("non-public addresses", () => {
    const refused: [string, string][] = [
        ["0.0.0.0", "unspecified"],
        ["127.0.0.1", "loopback"],
        ["127.255.0.9", "loopback"],
        ["10.1.2.3", "private"],
        ["172.16.0.1", "private"],
        ["172.31.255.255", "private"],
        ["192.168.1.1", "private"],
        ["100.64.0.1", "shared (carrier-grade NAT)"],
        ["169.254.169.254", "link-local"],
        ["224.0.0.1", "multicast"],
        ["255.255.255.255", "reserved"],
        ["::", "unspecified"],
        ["::1", "loopback"],
        ["fc00::1", "private"],
        ["fd12:3456::1", "private"],
        ["fe80::1", "link-local"],
        ["fe80::1%eth0", "link-local"],
        ["febf::1", "link-local"],
        ["ff02::1", "multicast"],
        // IPv6 forms that carry an IPv4 address are judged by it.
        ["::ffff:127.0.0.1", "loopback"],
        ["::ffff:a9fe:a9fe", "link-local"],
        ["64:ff9b::10.0.0.1", "private"],
        ["2002:a9fe:a9fe::1", "link-local"],
    ];
    for (const [address, kind] of refused) {
        it(`${address} is ${kind}`, () => assert.strictEqual(nonPublicAddress(address), kind));
    }

    it("public addresses and names are not judged here", () => {
        for (const address of [
            "8.8.8.8",
            "172.32.0.1",
            "172.15.255.255",
            "169.255.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2001::1",
            "hooks.example.com",
        ]) {
            assert.strictEqual(nonPublicAddress(address), undefined, address);
        }
    });

    it("a URL's host: literal addresses as the URL parser normalises them, and localhost", () => {
        const host = (url: string) => nonPublicHost(new URL(url).hostname);
        assert.deepStrictEqual(host("http://2130706433/"), { address: "127.0.0.1", kind: "loopback" });
        assert.deepStrictEqual(host("http://0x7f.1/"), { address: "127.0.0.1", kind: "loopback" });
        assert.deepStrictEqual(host("http://[::1]:8080/"), { address: "::1", kind: "loopback" });
        assert.deepStrictEqual(host("http://LocalHost./x"), { address: "localhost", kind: "loopback" });
        assert.deepStrictEqual(host("http://api.localhost/"), { address: "api.localhost", kind: "loopback" });
        assert.deepStrictEqual(host("http://169.254.169.254/latest/meta-data/"), {
            address: "169.254.169.254",
            kind: "link-local",
        });
        assert.strictEqual(host("https://hooks.example.com/promotions"), undefined);
        assert.strictEqual(host("https://8.8.8.8/"), undefined);
    });
});
