import { describe, expect, it } from 'vitest'
import {
  bytesToIp,
  DistinctNetSet,
  ipToBytes,
  isLanIp,
  isSpecialIp,
  Netlist,
  relayIpProblem,
} from '../src/index.js'

describe('addresses', () => {
  it('IPv4, IPv6 (compressed, embedded v4) and mapped v4 round-trip', () => {
    expect(ipToBytes('1.2.3.4')).toEqual(Uint8Array.of(1, 2, 3, 4))
    expect(bytesToIp(ipToBytes('::ffff:1.2.3.4'))).toBe('1.2.3.4')
    expect(ipToBytes('::ffff:1.2.3.4').length).toBe(4)
    for (const ip of [
      '::1',
      '2001:db8::1',
      'fe80::1:2',
      '2001:db8:85a3:8d3:1319:8a2e:370:7348',
      '::',
    ]) {
      expect(bytesToIp(ipToBytes(ip))).toBe(ip)
    }
    expect(bytesToIp(ipToBytes('2001:0db8:0000:0000:0000:0000:0000:0001'))).toBe('2001:db8::1')
    expect(bytesToIp(ipToBytes('64:ff9b::192.0.2.33'))).toBe('64:ff9b::c000:221')
    expect(bytesToIp(new Uint8Array(5))).toBeUndefined()
    expect(() => ipToBytes('example.org')).toThrow(/ErrInvalidIp/)
  })

  it('classes and relay rules (go-ethereum netutil)', () => {
    expect(
      isLanIp('10.1.2.3') && isLanIp('192.168.0.1') && isLanIp('127.0.0.1') && isLanIp('fe80::1'),
    ).toBe(true)
    expect(isLanIp('8.8.8.8')).toBe(false)
    expect(isSpecialIp('192.0.2.1') && isSpecialIp('224.0.0.1') && isSpecialIp('2001:db8::1')).toBe(
      true,
    )
    expect(relayIpProblem('8.8.8.8', '1.1.1.1')).toBeUndefined()
    expect(relayIpProblem('8.8.8.8', '127.0.0.1')).toMatch(/loopback/)
    expect(relayIpProblem('127.0.0.1', '127.0.0.2')).toBeUndefined()
    expect(relayIpProblem('8.8.8.8', '10.0.0.1')).toMatch(/LAN/)
    expect(relayIpProblem('10.0.0.2', '10.0.0.1')).toBeUndefined()
    expect(relayIpProblem('8.8.8.8', '0.0.0.0')).toMatch(/zero/)
    expect(relayIpProblem('8.8.8.8', '198.51.100.1')).toMatch(/special/)
  })

  it('DistinctNetSet counts per /24 and Netlist matches CIDRs', () => {
    const s = new DistinctNetSet(24, 2)
    expect(s.add('1.2.3.4') && s.add('1.2.3.5')).toBe(true)
    expect(s.add('1.2.3.6')).toBe(false)
    expect(s.add('1.2.4.6')).toBe(true)
    s.remove('1.2.3.4')
    expect(s.add('1.2.3.7')).toBe(true)
    expect(s.size).toBe(3)
    const v6 = new DistinctNetSet(24, 1)
    expect(v6.add('2001:db8::1')).toBe(true)
    expect(v6.add('2001:dbf::1')).toBe(false) // same first 24 bits
    const nl = new Netlist(['10.0.0.0/8', '2001:db8::/32'])
    expect(nl.contains('10.9.9.9') && nl.contains('2001:db8::5')).toBe(true)
    expect(nl.contains('11.0.0.1')).toBe(false)
  })
})
