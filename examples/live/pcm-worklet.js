// AudioWorklet processor: the microphone's first channel as PCM16 little-endian, posted to the
// page in ~20 ms messages (the page forwards them to the WebSocket as binary messages).
class PcmSender extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = Math.round(sampleRate / 50); // 20 ms
    this.buf = new Int16Array(this.block);
    this.fill = 0;
  }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) {
      for (let i = 0; i < ch.length; i++) {
        const v = Math.max(-1, Math.min(1, ch[i]));
        this.buf[this.fill++] = v < 0 ? Math.round(v * 32768) : Math.round(v * 32767);
        if (this.fill === this.block) {
          this.port.postMessage(this.buf.buffer, [this.buf.buffer]);
          this.buf = new Int16Array(this.block);
          this.fill = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor('pcm-sender', PcmSender);
