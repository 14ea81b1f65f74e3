import t from 'tap';
import { deriveSrtpKey } from '../../media/RtpLatch.js';

// RFC 3711 appendix B.3: the session keys of a master key and salt. The latch recomputes the
// authentication tag of SRTP packets it gives the room's payload type, with the auth key.
t.test('SRTP key derivation (RFC 3711 B.3)', async (t) => {
  const key = Buffer.from('E1F97A0D3E018BE0D64FA32C06DE4139', 'hex');
  const salt = Buffer.from('0EC675AD498AFEEBB6960B3AABE6', 'hex');
  t.equal(deriveSrtpKey(key, salt, 0x00, 16).toString('hex'), 'c61e7a93744f39ee10734afe3ff7a087');
  t.equal(
    deriveSrtpKey(key, salt, 0x01, 20).toString('hex'),
    'cebe321f6ff7716b6fd4ab49af256a156d38baa4',
  );
});
