/**
 * scripts/tslab-kernel.js: tslab sends without waiting, and zeromq refuses a send while another
 * is queued (EBUSY), which killed the kernel. With serializeSends a socket's sends go one after
 * another, in order, and a failed send is reported instead of thrown.
 */
import { describe, expect, it, vi } from 'vitest';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { serializeSends } = require('../../scripts/tslab-kernel.js') as { serializeSends(c: unknown): void };

/** Like a zeromq socket: a send takes a while, and a second one meanwhile throws EBUSY. */
class FakeSocket {
  busy = false;
  sent: string[] = [];
  async send(message: string): Promise<void> {
    if (this.busy) throw Object.assign(new Error('Socket is busy writing; only one send operation may be in progress at any time'), { code: 'EBUSY' });
    this.busy = true;
    await new Promise(resolve => setTimeout(resolve, 5));
    if (message === 'bad') {
      this.busy = false;
      throw new Error('Socket is closed');
    }
    this.sent.push(message);
    this.busy = false;
  }
}

describe('tslab kernel messages', () => {
  it('collide on a plain zeromq-like socket (the failure)', async () => {
    const socket = new FakeSocket();
    const first = socket.send('status: busy');
    await expect(socket.send('status: idle')).rejects.toThrow(/busy writing/);
    await first;
  });

  it('go out one at a time and in order once serialized; a failed one is reported, not thrown', async () => {
    class Serialized extends FakeSocket {}
    Object.defineProperty(Serialized.prototype, 'send', { value: FakeSocket.prototype.send, writable: false, configurable: true }); // read-only, as in zeromq
    serializeSends(Serialized);
    const socket = new Serialized();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const sends = ['status: busy', 'stream', 'bad', 'display_data', 'status: idle'].map(m => socket.send(m));
    await Promise.all(sends);
    expect(socket.sent).toEqual(['status: busy', 'stream', 'display_data', 'status: idle']);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('a kernel message could not be sent: Socket is closed'));
    errors.mockRestore();
  });
});
