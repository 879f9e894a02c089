// Package ctap1 is the wire format of FIDO U2F raw messages (CTAP1), for both ends: ISO 7816-4 command APDUs in
// the extended-length form, response APDUs and status words, and the data of REGISTER, AUTHENTICATE and VERSION
// and of their responses. The authenticator (package core) parses commands and encodes responses; the client
// (nativehost/ctap1) encodes commands and parses responses, with the same types.
//
// References: FIDO U2F Raw Message Formats v1.2 §3 (framing), §4 (REGISTER), §5 (AUTHENTICATE), §6 (VERSION);
// ISO/IEC 7816-4 §5.1 (command and response APDUs), §5.1.3 (status bytes).
package ctap1

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Instruction is the INS byte of a U2F command APDU (U2F raw messages v1.2 §3).
type Instruction byte

const (
	InsRegister     Instruction = 0x01
	InsAuthenticate Instruction = 0x02
	InsVersion      Instruction = 0x03
)

func (i Instruction) String() string {
	switch i {
	case InsRegister:
		return "REGISTER"
	case InsAuthenticate:
		return "AUTHENTICATE"
	case InsVersion:
		return "VERSION"
	}
	return fmt.Sprintf("INS(0x%02x)", byte(i))
}

// Control is the P1 byte of AUTHENTICATE (U2F raw messages v1.2 §5.1).
type Control byte

const (
	ControlEnforceUserPresence     Control = 0x03 // sign only with user presence
	ControlCheckOnly               Control = 0x07 // never sign: 6985 if the handle is valid for the AppID, else 6A80
	ControlDontEnforceUserPresence Control = 0x08 // sign; the UP bit reports whether presence was observed
)

// StatusWord is SW1||SW2 of a response APDU (U2F raw messages v1.2 §3.3, ISO 7816-4 §5.1.3). A StatusWord is an
// error value: every parse failure of a command is one, and a client returns any status but SWNoError as one.
type StatusWord uint16

const (
	SWNoError                StatusWord = 0x9000
	SWConditionsNotSatisfied StatusWord = 0x6985 // user presence required, or check-only: "handle is valid"
	SWWrongData              StatusWord = 0x6A80 // key handle not from this token or not for this application
	SWWrongLength            StatusWord = 0x6700
	SWClaNotSupported        StatusWord = 0x6E00
	SWInsNotSupported        StatusWord = 0x6D00
	SWCommandNotAllowed      StatusWord = 0x6986 // ISO 7816-4 §5.1.3
	// SWDataInvalid is ISO 7816-4's "reference data not usable"; some keys answer a foreign key handle with it.
	SWDataInvalid StatusWord = 0x6984
	// SWNoPreciseDiagnosis is ISO 7816-4's "no precise diagnosis": an internal failure, not described further.
	SWNoPreciseDiagnosis StatusWord = 0x6F00
)

func (s StatusWord) String() string {
	switch s {
	case SWNoError:
		return "SW_NO_ERROR"
	case SWConditionsNotSatisfied:
		return "SW_CONDITIONS_NOT_SATISFIED"
	case SWWrongData:
		return "SW_WRONG_DATA"
	case SWWrongLength:
		return "SW_WRONG_LENGTH"
	case SWClaNotSupported:
		return "SW_CLA_NOT_SUPPORTED"
	case SWInsNotSupported:
		return "SW_INS_NOT_SUPPORTED"
	case SWCommandNotAllowed:
		return "SW_COMMAND_NOT_ALLOWED"
	case SWDataInvalid:
		return "SW_DATA_INVALID"
	case SWNoPreciseDiagnosis:
		return "SW_NO_PRECISE_DIAGNOSIS"
	}
	return fmt.Sprintf("SW(0x%04x)", uint16(s))
}

// Error makes a StatusWord usable as an error.
func (s StatusWord) Error() string { return fmt.Sprintf("ctap1: %s (0x%04x)", s.String(), uint16(s)) }

// Bytes is the two-byte trailer of a response APDU.
func (s StatusWord) Bytes() []byte { return []byte{byte(s >> 8), byte(s)} }

// Command is a parsed command APDU.
type Command struct {
	CLA, P1, P2 byte
	INS         Instruction
	Data        []byte
	Le          int // expected response length; 65536 when the APDU asked for "everything"
}

// ParseCommand parses an extended-length command APDU (ISO 7816-4 §5.1, cases 1, 2E, 3E, 4E):
//
//	CLA INS P1 P2                                  case 1: no data, no Le
//	CLA INS P1 P2 00 Le1 Le2                        case 2E: Le only
//	CLA INS P1 P2 00 Lc1 Lc2 data[Lc]               case 3E: data only
//	CLA INS P1 P2 00 Lc1 Lc2 data[Lc] Le1 Le2       case 4E: data and Le
//
// Short-form (one-byte Lc) APDUs are refused with SWWrongLength: U2F over USB uses the extended form only.
// A malformed APDU returns a StatusWord error and a zero Command.
func ParseCommand(apdu []byte) (Command, error) {
	if len(apdu) < 4 {
		return Command{}, SWWrongLength
	}
	c := Command{CLA: apdu[0], INS: Instruction(apdu[1]), P1: apdu[2], P2: apdu[3]}
	body := apdu[4:]
	switch {
	case len(body) == 0:
		// case 1
	case body[0] != 0x00 || len(body) < 3:
		return Command{}, SWWrongLength
	case len(body) == 3:
		c.Le = decodeLe(body[1], body[2])
	default:
		lc := int(body[1])<<8 | int(body[2])
		if lc == 0 {
			return Command{}, SWWrongLength
		}
		rest := body[3:]
		switch len(rest) {
		case lc:
		case lc + 2:
			c.Le = decodeLe(rest[lc], rest[lc+1])
		default:
			return Command{}, SWWrongLength
		}
		c.Data = append([]byte(nil), rest[:lc]...)
	}
	if c.CLA != 0x00 {
		return Command{}, SWClaNotSupported
	}
	return c, nil
}

func decodeLe(hi, lo byte) int {
	if le := int(hi)<<8 | int(lo); le != 0 {
		return le
	}
	return 65536
}

// ErrDataTooLong is returned by Command.Encode for data that does not fit the two-byte Lc.
var ErrDataTooLong = errors.New("ctap1: APDU data longer than 65535 bytes")

// Encode builds the extended-length form of c, always with Le = 0x0000 ("everything"), as strict keys expect
// (case 2E without data, 4E with data):
//
//	without data: CLA INS P1 P2 | 00 00 00
//	with data:    CLA INS P1 P2 | 00 Lc_hi Lc_lo | data | 00 00
func (c Command) Encode() ([]byte, error) {
	if len(c.Data) > 0xFFFF {
		return nil, ErrDataTooLong
	}
	out := []byte{c.CLA, byte(c.INS), c.P1, c.P2}
	if len(c.Data) > 0 {
		out = append(out, 0x00, byte(len(c.Data)>>8), byte(len(c.Data)))
		out = append(out, c.Data...)
		return append(out, 0x00, 0x00), nil
	}
	return append(out, 0x00, 0x00, 0x00), nil
}

// ErrMalformedResponse is returned for response APDUs and response data that do not follow U2F raw messages v1.2.
var ErrMalformedResponse = errors.New("ctap1: malformed response")

// EncodeResponse builds a response APDU: data || SW1 SW2 (ISO 7816-4 §5.1).
func EncodeResponse(data []byte, sw StatusWord) []byte {
	return append(append([]byte(nil), data...), sw.Bytes()...)
}

// ParseResponse splits a response APDU into its data and status word.
func ParseResponse(resp []byte) ([]byte, StatusWord, error) {
	if len(resp) < 2 {
		return nil, 0, fmt.Errorf("%w: %d-byte response APDU", ErrMalformedResponse, len(resp))
	}
	n := len(resp) - 2
	return resp[:n], StatusWord(binary.BigEndian.Uint16(resp[n:])), nil
}

// RegisterRequest is the data of REGISTER (U2F raw messages v1.2 §4.1).
//
//	offset size field
//	0      32   challenge parameter: SHA-256(client data)
//	32     32   application parameter: SHA-256(AppID)
type RegisterRequest struct {
	Challenge, Application [32]byte
}

// Encode returns the command data.
func (r RegisterRequest) Encode() []byte { return append(r.Challenge[:], r.Application[:]...) }

// ParseRegisterRequest checks that data is exactly 64 bytes.
func ParseRegisterRequest(data []byte) (RegisterRequest, error) {
	var r RegisterRequest
	if len(data) != 64 {
		return r, SWWrongLength
	}
	copy(r.Challenge[:], data[:32])
	copy(r.Application[:], data[32:])
	return r, nil
}

// AuthenticateRequest is the data of AUTHENTICATE (U2F raw messages v1.2 §5.1).
//
//	offset size field
//	0      32   challenge parameter
//	32     32   application parameter
//	64     1    key handle length L
//	65     L    key handle
type AuthenticateRequest struct {
	Control                Control
	Challenge, Application [32]byte
	KeyHandle              []byte
}

// ErrKeyHandleTooLong is returned for a key handle that does not fit the one-byte length of AUTHENTICATE and of
// the REGISTER response.
var ErrKeyHandleTooLong = errors.New("ctap1: key handle longer than 255 bytes")

// Encode returns the command data; the control byte goes in P1 (Command.P1).
func (r AuthenticateRequest) Encode() ([]byte, error) {
	if len(r.KeyHandle) > 255 {
		return nil, ErrKeyHandleTooLong
	}
	out := make([]byte, 0, 65+len(r.KeyHandle))
	out = append(out, r.Challenge[:]...)
	out = append(out, r.Application[:]...)
	out = append(out, byte(len(r.KeyHandle)))
	return append(out, r.KeyHandle...), nil
}

// ParseAuthenticateRequest parses the data of AUTHENTICATE with control byte p1. An unknown control byte is
// SWWrongData; a length that does not match L is SWWrongLength.
func ParseAuthenticateRequest(p1 byte, data []byte) (AuthenticateRequest, error) {
	var r AuthenticateRequest
	switch Control(p1) {
	case ControlEnforceUserPresence, ControlCheckOnly, ControlDontEnforceUserPresence:
	default:
		return r, SWWrongData
	}
	if len(data) < 65 || len(data) != 65+int(data[64]) {
		return r, SWWrongLength
	}
	r.Control = Control(p1)
	copy(r.Challenge[:], data[:32])
	copy(r.Application[:], data[32:64])
	r.KeyHandle = append([]byte(nil), data[65:]...)
	return r, nil
}

// Version is the answer to VERSION (U2F raw messages v1.2 §6).
const Version = "U2F_V2"
