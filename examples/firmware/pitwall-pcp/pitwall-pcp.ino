// Pitwall PCP reference firmware — a camera controller speaking the Pitwall Controller Protocol.
// Protocol: docs/protocols/pcp.md (version 1). Build with the Arduino IDE or arduino-cli. It keeps
// three 256-byte line buffers and its tables in RAM (about 1.4 KB in all): boards with 2.5 KB or more
// are comfortable (Leonardo/Micro, Mega, RP2040, ESP32); on a 2 KB Uno/Nano it is tight.
//
// Wiring (change the pin numbers below to suit your board):
//   LIGHT1 / LIGHT2   PWM outputs to the LED drivers of camera heads 1 and 2
//   REC_LED           recording indicator
//   SNAP_OUT          pulse to the camera's shutter input
//   BTN_LIGHT1/2, BTN_REC, BTN_MAIN   push buttons to GND (internal pull-ups)
//   HEAD2_DETECT      to GND while camera head 2 is plugged in (internal pull-up)
//
// The state of every v1 key lives in `state[]`; image settings are kept for the host (wire them to
// your camera's control bus where you have one). Host requests are answered at once; changes made
// here (buttons, head 2 plugged/unplugged) are sent as numbered EVT frames.

#include <Arduino.h>
#include <string.h>
#include <stdlib.h>

#define PCP_VERSION 1
#define FW_VERSION "1.0.0"
#define MODEL "pitwall-pcp"
#define HEADS 2
#define SENSORS 4
#define BAUD 115200
#define MAX_LINE 255

// NAK codes (docs/protocols/pcp.md §6)
#define NAK_BAD_CHECKSUM 1
#define NAK_BAD_FRAME 2
#define NAK_UNKNOWN_VERB 3
#define NAK_UNKNOWN_KEY 4
#define NAK_BAD_VALUE 5
#define NAK_READ_ONLY 6
#define NAK_BUSY 7
#define NAK_NOT_AVAILABLE 8
#define NAK_TOO_LONG 9
#define NAK_HARDWARE 10

// Pins
const uint8_t PIN_LIGHT1 = 5;
const uint8_t PIN_LIGHT2 = 6;
const uint8_t PIN_REC_LED = 13;
const uint8_t PIN_SNAP_OUT = 8;
const uint8_t PIN_BTN_LIGHT1 = 2;
const uint8_t PIN_BTN_LIGHT2 = 3;
const uint8_t PIN_BTN_REC = 4;
const uint8_t PIN_BTN_MAIN = 9;
const uint8_t PIN_HEAD2_DETECT = 7;

enum KeyType : uint8_t { T_BOOL, T_INT, T_ENUM, T_ACTION };

const char *const RES_VALUES[] = {"640x480", "1280x720", "1920x1080", "3840x2160"};
const char *const PIP_VALUES[] = {"off", "top-left", "top-right", "bottom-left", "bottom-right", "side-by-side"};
const char *const AE_VALUES[] = {"auto", "manual", "shutter", "iris", "bright"};
const char *const AWB_VALUES[] = {"auto", "manual", "daylight", "cloudy", "tungsten", "fluorescent"};
const char *const REC_VALUES[] = {"on", "off", "pause"};

struct KeyDef {
  const char *code;
  KeyType type;
  int16_t min;
  int16_t max;
  const char *const *values;
  uint8_t count;
  bool readOnly;
  int16_t initial;
};

// The command table: one entry per camera API v1 key (docs/protocols/pcp.md §5).
// Enum values are stored as their index in the values list.
const KeyDef KEYS[] = {
  {"L1", T_BOOL, 0, 1, nullptr, 0, false, 0},
  {"L2", T_BOOL, 0, 1, nullptr, 0, false, 0},
  {"H1", T_BOOL, 0, 1, nullptr, 0, true, 1},
  {"H2", T_BOOL, 0, 1, nullptr, 0, true, 1},
  {"MAIN", T_INT, 1, 2, nullptr, 0, false, 1},
  {"S1", T_INT, 1, 4, nullptr, 0, false, 1},
  {"S2", T_INT, 1, 4, nullptr, 0, false, 1},
  {"RES", T_ENUM, 0, 3, RES_VALUES, 4, false, 2},
  {"FPS", T_INT, 5, 60, nullptr, 0, false, 30},
  {"PIP", T_ENUM, 0, 5, PIP_VALUES, 6, false, 0},
  {"BRI", T_INT, 0, 100, nullptr, 0, false, 50},
  {"CON", T_INT, 0, 100, nullptr, 0, false, 50},
  {"SHP", T_INT, 0, 100, nullptr, 0, false, 50},
  {"SAT", T_INT, 0, 100, nullptr, 0, false, 50},
  {"GAIN", T_INT, 0, 100, nullptr, 0, false, 0},
  {"RGAIN", T_INT, 0, 100, nullptr, 0, false, 50},
  {"BGAIN", T_INT, 0, 100, nullptr, 0, false, 50},
  {"AE", T_ENUM, 0, 4, AE_VALUES, 5, false, 0},
  {"AWB", T_ENUM, 0, 5, AWB_VALUES, 6, false, 0},
  {"NR", T_BOOL, 0, 1, nullptr, 0, false, 0},
  {"REC", T_ENUM, 0, 2, REC_VALUES, 3, false, 1},
  {"SNAP", T_ACTION, 0, 1, nullptr, 0, false, 0},
  {"JPQ", T_INT, 0, 100, nullptr, 0, false, 85},
};
const uint8_t NKEYS = sizeof(KEYS) / sizeof(KEYS[0]);

// Indexes used by the hardware logic below.
enum { K_L1, K_L2, K_H1, K_H2, K_MAIN, K_S1, K_S2, K_RES, K_FPS, K_PIP, K_BRI, K_CON, K_SHP, K_SAT, K_GAIN, K_RGAIN, K_BGAIN, K_AE, K_AWB, K_NR, K_REC, K_SNAP, K_JPQ };
const int16_t REC_ON = 0, REC_OFF = 1, REC_PAUSE = 2;

int16_t state[NKEYS];

char line[MAX_LINE + 1];
uint16_t lineLen = 0;
bool discarding = false;
// The last request line (as a hash: RAM is scarce) and its answer: a repeated request is answered
// again, not executed again.
uint32_t lastHash = 0;
uint16_t lastLen = 0;
char lastReply[MAX_LINE + 5];
bool haveLast = false;
// True while answering the request recorded in lastHash (only such answers are replayed).
bool recordAnswer = false;
char out[MAX_LINE + 5];
uint16_t outLen = 0;
uint8_t evtSeq = 0;
unsigned long snapUntil = 0;

struct Button {
  uint8_t pin;
  bool last;
  unsigned long changedAt;
};
Button buttons[] = {{PIN_BTN_LIGHT1, true, 0}, {PIN_BTN_LIGHT2, true, 0}, {PIN_BTN_REC, true, 0}, {PIN_BTN_MAIN, true, 0}, {PIN_HEAD2_DETECT, true, 0}};
const uint8_t NBUTTONS = sizeof(buttons) / sizeof(buttons[0]);

// ---- frames out

const char HEX_DIGITS[] = "0123456789ABCDEF";

void beginFrame(uint8_t seq, const char *verb) {
  out[0] = HEX_DIGITS[seq >> 4];
  out[1] = HEX_DIGITS[seq & 15];
  out[2] = ' ';
  outLen = 3;
  uint16_t n = strlen(verb);
  memcpy(out + outLen, verb, n);
  outLen += n;
}

void addArg(const char *text) {
  uint16_t n = strlen(text);
  if (outLen + 1 + n > MAX_LINE - 3) return;  // never send an over-long frame
  out[outLen++] = ' ';
  // Arguments may echo what the host sent (an unknown key): keep the frame valid (no '*', printable).
  for (uint16_t i = 0; i < n; i++) out[outLen++] = (text[i] == '*' || text[i] < 0x20 || text[i] > 0x7e) ? '?' : text[i];
}

void addPair(uint8_t k) {
  char pair[24];
  const KeyDef &d = KEYS[k];
  if (d.type == T_ENUM) snprintf(pair, sizeof pair, "%s=%s", d.code, d.values[state[k]]);
  else snprintf(pair, sizeof pair, "%s=%d", d.code, (int)state[k]);
  addArg(pair);
}

// Appends *checksum and LF, sends; an answer is also kept for repeats.
void sendFrame(bool isAnswer) {
  uint8_t ck = 0;
  for (uint16_t i = 0; i < outLen; i++) ck ^= (uint8_t)out[i];
  out[outLen++] = '*';
  out[outLen++] = HEX_DIGITS[ck >> 4];
  out[outLen++] = HEX_DIGITS[ck & 15];
  out[outLen++] = '\n';
  out[outLen] = 0;
  Serial.write((const uint8_t *)out, outLen);
  if (isAnswer && recordAnswer) memcpy(lastReply, out, outLen + 1);
}

void nak(uint8_t seq, uint8_t code, const char *key, const char *message) {
  char c[3] = {(char)('0' + code / 10), (char)('0' + code % 10), 0};
  beginFrame(seq, "NAK");
  addArg(c);
  addArg(key);
  addArg(message);
  sendFrame(true);
}

void sendEvent(const uint8_t *keys, uint8_t n) {
  beginFrame(evtSeq++, "EVT");
  for (uint8_t i = 0; i < n; i++) addPair(keys[i]);
  sendFrame(false);
}

// ---- values

int8_t findKey(const char *code) {
  for (uint8_t k = 0; k < NKEYS; k++)
    if (strcmp(KEYS[k].code, code) == 0) return k;
  return -1;
}

// Parses a wire token for key k; returns false when it is not valid.
bool parseValue(uint8_t k, const char *token, int16_t *value) {
  const KeyDef &d = KEYS[k];
  if (d.type == T_ENUM) {
    for (uint8_t i = 0; i < d.count; i++)
      if (strcmp(d.values[i], token) == 0) {
        *value = i;
        return true;
      }
    return false;
  }
  if (d.type == T_BOOL || d.type == T_ACTION) {
    if (strcmp(token, "0") == 0 || strcmp(token, "1") == 0) {
      *value = token[0] - '0';
      return d.type == T_BOOL || *value == 1;
    }
    return false;
  }
  uint8_t i = token[0] == '-' ? 1 : 0;
  if (!token[i] || strlen(token) > 6) return false;
  for (; token[i]; i++)
    if (token[i] < '0' || token[i] > '9') return false;
  long v = atol(token);
  if (v < d.min || v > d.max) return false;
  *value = (int16_t)v;
  return true;
}

// ---- requests

int8_t hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

void handleId(uint8_t seq) {
  char buf[24];
  beginFrame(seq, "ACK");
  addArg("ID");
  snprintf(buf, sizeof buf, "PCP=%d", PCP_VERSION);
  addArg(buf);
  addArg("FW=" FW_VERSION);
  addArg("MODEL=" MODEL);
  snprintf(buf, sizeof buf, "HEADS=%d", HEADS);
  addArg(buf);
  snprintf(buf, sizeof buf, "SENSORS=%d", SENSORS);
  addArg(buf);
  char keys[128] = "KEYS=";
  for (uint8_t k = 0; k < NKEYS; k++) {
    if (k) strcat(keys, ",");
    strcat(keys, KEYS[k].code);
  }
  addArg(keys);
  sendFrame(true);
}

void handleGet(uint8_t seq, char **args, uint8_t nargs) {
  for (uint8_t i = 0; i < nargs; i++)
    if (findKey(args[i]) < 0) return nak(seq, NAK_UNKNOWN_KEY, args[i], "unknown key");
  beginFrame(seq, "ACK");
  addArg("GET");
  if (nargs == 0)
    for (uint8_t k = 0; k < NKEYS; k++) addPair(k);
  else
    for (uint8_t i = 0; i < nargs; i++) addPair(findKey(args[i]));
  sendFrame(true);
}

void handleSet(uint8_t seq, char **args, uint8_t nargs) {
  if (nargs == 0) return nak(seq, NAK_BAD_FRAME, "-", "SET needs KEY=VALUE arguments");
  int16_t next[NKEYS];
  bool touched[NKEYS];
  memcpy(next, state, sizeof next);
  memset(touched, 0, sizeof touched);
  // Validate everything first: a SET is applied whole or not at all.
  for (uint8_t i = 0; i < nargs; i++) {
    char *eq = strchr(args[i], '=');
    if (!eq || eq == args[i] || !eq[1]) return nak(seq, NAK_BAD_FRAME, "-", "SET needs KEY=VALUE arguments");
    *eq = 0;
    int8_t k = findKey(args[i]);
    if (k < 0) return nak(seq, NAK_UNKNOWN_KEY, args[i], "unknown key");
    if (KEYS[k].readOnly) return nak(seq, NAK_READ_ONLY, args[i], "read-only key");
    if (!parseValue(k, eq + 1, &next[k])) return nak(seq, NAK_BAD_VALUE, args[i], "value out of range");
    touched[k] = true;
    *eq = '=';
  }
  if (next[K_MAIN] == 2 && !state[K_H2]) return nak(seq, NAK_NOT_AVAILABLE, "MAIN", "head 2 not attached");
  if (touched[K_L2] && next[K_L2] && !state[K_H2]) return nak(seq, NAK_NOT_AVAILABLE, "L2", "head 2 not attached");
  if (touched[K_REC] && next[K_REC] == REC_PAUSE && state[K_REC] == REC_OFF) return nak(seq, NAK_NOT_AVAILABLE, "REC", "not recording");
  if (touched[K_SNAP]) {
    snapUntil = millis() + 50;  // take the picture; SNAP itself always reads 0
    next[K_SNAP] = 0;
  }
  memcpy(state, next, sizeof state);
  beginFrame(seq, "ACK");
  addArg("SET");
  for (uint8_t i = 0; i < nargs; i++) addArg(args[i]);
  sendFrame(true);
}

void processLine() {
  recordAnswer = false;
  line[lineLen] = 0;
  if (lineLen > 0 && line[lineLen - 1] == '\r') line[--lineLen] = 0;
  if (lineLen == 0) return;
  for (uint16_t i = 0; i < lineLen; i++)
    if (line[i] < 0x20 || line[i] > 0x7e) return nak(0, NAK_BAD_FRAME, "-", "non-printable bytes in line");
  uint32_t hash = 2166136261UL;  // FNV-1a
  for (uint16_t i = 0; i < lineLen; i++) hash = (hash ^ (uint8_t)line[i]) * 16777619UL;
  if (haveLast && hash == lastHash && lineLen == lastLen) {
    Serial.write((const uint8_t *)lastReply, strlen(lastReply));  // a repeat: answer again, do not apply again
    return;
  }
  uint8_t seqGuess = 0;
  if (lineLen >= 3 && hexValue(line[0]) >= 0 && hexValue(line[1]) >= 0 && line[2] == ' ') seqGuess = hexValue(line[0]) * 16 + hexValue(line[1]);
  if (lineLen < 4 || line[lineLen - 3] != '*') return nak(seqGuess, NAK_BAD_FRAME, "-", "missing checksum");
  int8_t hi = hexValue(line[lineLen - 2]), lo = hexValue(line[lineLen - 1]);
  if (hi < 0 || lo < 0) return nak(seqGuess, NAK_BAD_FRAME, "-", "checksum is not 2 hex digits");
  uint8_t ck = 0;
  for (uint16_t i = 0; i < (uint16_t)(lineLen - 3); i++) ck ^= (uint8_t)line[i];
  if (ck != (uint8_t)(hi * 16 + lo)) return nak(seqGuess, NAK_BAD_CHECKSUM, "-", "bad checksum");
  lastHash = hash;
  lastLen = lineLen;
  haveLast = true;
  recordAnswer = true;
  line[lineLen - 3] = 0;

  // Tokenise in place: seq, verb, args.
  char *tokens[40];
  uint8_t n = 0;
  char *p = line;
  while (*p && n < 40) {
    tokens[n++] = p;
    char *sp = strchr(p, ' ');
    if (!sp) break;
    *sp = 0;
    p = sp + 1;
    if (*p == ' ' || *p == 0) return nak(seqGuess, NAK_BAD_FRAME, "-", "empty argument (double space)");
  }
  if (n < 2 || strlen(tokens[0]) != 2 || hexValue(tokens[0][0]) < 0 || hexValue(tokens[0][1]) < 0 || tokens[0][0] > 'F' || tokens[0][1] > 'F')
    return nak(seqGuess, NAK_BAD_FRAME, "-", "frame must start with a 2-digit hex sequence id");
  uint8_t seq = hexValue(tokens[0][0]) * 16 + hexValue(tokens[0][1]);
  const char *verb = tokens[1];
  uint8_t vl = strlen(verb);
  bool verbOk = vl >= 2 && vl <= 8;
  for (uint8_t i = 0; i < vl; i++)
    if (verb[i] < 'A' || verb[i] > 'Z') verbOk = false;
  if (!verbOk) return nak(seq, NAK_BAD_FRAME, "-", "verb must be 2-8 capital letters");
  if (seq == 0) return nak(0, NAK_BAD_FRAME, "-", "sequence id 00 is reserved");
  char **args = tokens + 2;
  uint8_t nargs = n - 2;
  if (strcmp(verb, "ID") == 0) return handleId(seq);
  if (strcmp(verb, "GET") == 0) return handleGet(seq, args, nargs);
  if (strcmp(verb, "SET") == 0) return handleSet(seq, args, nargs);
  if (strcmp(verb, "PING") == 0) {
    beginFrame(seq, "ACK");
    addArg("PING");
    return sendFrame(true);
  }
  nak(seq, NAK_UNKNOWN_VERB, verb, "unknown verb");
}

void readSerial() {
  while (Serial.available() > 0) {
    char c = (char)Serial.read();
    if (c == '\n') {
      if (discarding) discarding = false;
      else processLine();
      lineLen = 0;
    } else if (!discarding) {
      if (lineLen >= MAX_LINE) {
        discarding = true;  // drop the whole line, up to the next LF
        lineLen = 0;
        nak(0, NAK_TOO_LONG, "-", "line too long");
      } else {
        line[lineLen++] = c;
      }
    }
  }
}

// ---- hardware

void onButton(uint8_t index, bool pressed) {
  uint8_t changed[3];
  uint8_t n = 0;
  if (index == 4) {  // head 2 detect: low = attached
    state[K_H2] = pressed ? 1 : 0;
    changed[n++] = K_H2;
    if (!state[K_H2]) {
      if (state[K_L2]) {
        state[K_L2] = 0;
        changed[n++] = K_L2;
      }
      if (state[K_MAIN] == 2) {
        state[K_MAIN] = 1;
        changed[n++] = K_MAIN;
      }
    }
    return sendEvent(changed, n);
  }
  if (!pressed) return;
  switch (index) {
    case 0:
      state[K_L1] = !state[K_L1];
      changed[n++] = K_L1;
      break;
    case 1:
      if (!state[K_H2]) return;
      state[K_L2] = !state[K_L2];
      changed[n++] = K_L2;
      break;
    case 2:
      state[K_REC] = state[K_REC] == REC_OFF ? REC_ON : REC_OFF;
      changed[n++] = K_REC;
      break;
    case 3:
      if (!state[K_H2]) return;
      state[K_MAIN] = state[K_MAIN] == 1 ? 2 : 1;
      changed[n++] = K_MAIN;
      break;
  }
  sendEvent(changed, n);
}

void pollButtons() {
  unsigned long now = millis();
  for (uint8_t i = 0; i < NBUTTONS; i++) {
    bool level = digitalRead(buttons[i].pin) == HIGH;
    if (level != buttons[i].last && now - buttons[i].changedAt > 30) {  // 30 ms debounce
      buttons[i].last = level;
      buttons[i].changedAt = now;
      onButton(i, !level);  // active low
    }
  }
}

void applyOutputs() {
  analogWrite(PIN_LIGHT1, state[K_L1] ? 255 : 0);
  analogWrite(PIN_LIGHT2, state[K_L2] && state[K_H2] ? 255 : 0);
  digitalWrite(PIN_REC_LED, state[K_REC] == REC_ON ? HIGH : LOW);
  digitalWrite(PIN_SNAP_OUT, millis() < snapUntil ? HIGH : LOW);
}

void setup() {
  Serial.begin(BAUD);
  pinMode(PIN_LIGHT1, OUTPUT);
  pinMode(PIN_LIGHT2, OUTPUT);
  pinMode(PIN_REC_LED, OUTPUT);
  pinMode(PIN_SNAP_OUT, OUTPUT);
  for (uint8_t i = 0; i < NBUTTONS; i++) {
    pinMode(buttons[i].pin, INPUT_PULLUP);
    buttons[i].last = digitalRead(buttons[i].pin) == HIGH;
  }
  for (uint8_t k = 0; k < NKEYS; k++) state[k] = KEYS[k].initial;
  state[K_H2] = buttons[4].last ? 0 : 1;
  evtSeq = 0;
  beginFrame(evtSeq++, "EVT");
  addArg("BOOT=1");
  addArg("FW=" FW_VERSION);
  sendFrame(false);
}

void loop() {
  readSerial();
  pollButtons();
  applyOutputs();
}
