package runner

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// The HTTP/1.1 subset the gateway speaks, the same as the Python runner's:
// keep-alive by default, pipelined requests answered in order, bodies framed
// by Content-Length only, every answer JSON with a Content-Length.

const maxHead = 64 << 10

// Connection modes of a request: they decide the answer's Connection header.
const (
	modeKeep   = iota // HTTP/1.1
	modeClose         // HTTP/1.0, or Connection: close
	modeKeep10        // HTTP/1.0 with Connection: keep-alive
)

var reasons = map[int]string{
	200: "OK",
	400: "Bad Request",
	404: "Not Found",
	405: "Method Not Allowed",
	411: "Length Required",
	413: "Content Too Large",
	422: "Unprocessable Content",
	431: "Request Header Fields Too Large",
	500: "Internal Server Error",
	503: "Service Unavailable",
	505: "HTTP Version Not Supported",
}

var connectionHeader = [...]string{"", "Connection: close\r\n", "Connection: keep-alive\r\n"}

// head is a parsed request head.
type head struct {
	method []byte
	target []byte
	mode   int
	length int
	expect bool // Expect: 100-continue
}

// httpError is a request that cannot be served; the connection closes after
// its answer.
type httpError struct {
	status  int
	code    string
	message string
}

func (e *httpError) Error() string { return e.message }

func badRequest(msg string) *httpError { return &httpError{400, "bad_request", msg} }

// readHead reads one request head into h, reusing h's buffers. It returns
// io.EOF when the client closed the connection between requests.
func readHead(br *bufio.Reader, h *head) error {
	var line []byte
	var err error
	total := 0
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return &httpError{431, "headers_too_large", "the request head is larger than " + strconv.Itoa(maxHead) + " bytes"}
			}
			if errors.Is(err, io.EOF) && len(line) == 0 {
				return io.EOF
			}
			return io.ErrUnexpectedEOF
		}
		total += len(line)
		if total > maxHead {
			return &httpError{431, "headers_too_large", "the request head is larger than " + strconv.Itoa(maxHead) + " bytes"}
		}
		if string(line) != "\r\n" { // empty lines before a request are allowed
			break
		}
	}
	text, err := lineText(line)
	if err != nil {
		return err
	}
	method, rest, ok1 := bytes.Cut(text, []byte{' '})
	target, version, ok2 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 || len(method) == 0 || len(target) == 0 || bytes.IndexByte(version, ' ') >= 0 {
		return badRequest("malformed request line")
	}
	switch {
	case string(version) == "HTTP/1.1":
		h.mode = modeKeep
	case string(version) == "HTTP/1.0":
		h.mode = modeClose
	case bytes.HasPrefix(version, []byte("HTTP/")):
		return &httpError{505, "http_version_not_supported", "only HTTP/1.1 and HTTP/1.0 are served"}
	default:
		return badRequest("malformed request line")
	}
	h.method = append(h.method[:0], method...)
	h.target = append(h.target[:0], target...)
	h.length, h.expect = -1, false
	var connection []byte
	for i := 1; ; i++ {
		line, err = br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return &httpError{431, "headers_too_large", "the request head is larger than " + strconv.Itoa(maxHead) + " bytes"}
			}
			return io.ErrUnexpectedEOF
		}
		total += len(line)
		if total > maxHead {
			return &httpError{431, "headers_too_large", "the request head is larger than " + strconv.Itoa(maxHead) + " bytes"}
		}
		text, err := lineText(line)
		if err != nil {
			return err
		}
		if len(text) == 0 {
			break
		}
		name, value, ok := bytes.Cut(text, []byte{':'})
		if !ok || len(name) == 0 || isBlank(name[0]) || isBlank(name[len(name)-1]) {
			return badRequest("malformed header line " + strconv.Itoa(i))
		}
		value = bytes.Trim(value, " \t")
		switch {
		case len(name) == 14 && bytes.EqualFold(name, []byte("content-length")):
			if len(value) == 0 || len(value) > 15 || !allDigits(value) {
				return badRequest("invalid Content-Length")
			}
			n, _ := strconv.Atoi(string(value))
			if h.length >= 0 && h.length != n {
				return badRequest("conflicting Content-Length headers")
			}
			h.length = n
		case len(name) == 17 && bytes.EqualFold(name, []byte("transfer-encoding")):
			return &httpError{411, "length_required", "Transfer-Encoding is not supported: send the body with a Content-Length"}
		case len(name) == 10 && bytes.EqualFold(name, []byte("connection")):
			connection = append(connection[:0], bytes.ToLower(value)...)
		case len(name) == 6 && bytes.EqualFold(name, []byte("expect")):
			h.expect = bytes.Contains(bytes.ToLower(value), []byte("100-continue"))
		}
	}
	if h.length < 0 {
		h.length = 0
	}
	if connection != nil {
		if bytes.Contains(connection, []byte("close")) {
			h.mode = modeClose
		} else if h.mode == modeClose && bytes.Contains(connection, []byte("keep-alive")) {
			h.mode = modeKeep10
		}
	}
	return nil
}

// lineText strips the CRLF of a head line and refuses bare CR or LF.
func lineText(line []byte) ([]byte, error) {
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, badRequest("bare CR or LF in the request head")
	}
	text := line[:len(line)-2]
	if bytes.IndexByte(text, '\r') >= 0 {
		return nil, badRequest("bare CR or LF in the request head")
	}
	return text, nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// appendResponse appends a whole answer to b.
func appendResponse(b []byte, status, mode int, body []byte) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, reasons[status]...)
	b = append(b, "\r\nContent-Type: application/json\r\n"...)
	b = append(b, connectionHeader[mode]...)
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

// errorDoc is the one error shape of the platform.
type errorDoc struct {
	Status  string `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// errorBody encodes an error answer's body.
func errorBody(code, message string, details any) []byte {
	b, err := json.Marshal(errorDoc{Status: "error", Code: code, Message: message, Details: details})
	if err != nil {
		// Details are built by the runner from plain values; this cannot
		// happen, but an answer must still go out.
		b, _ = json.Marshal(errorDoc{Status: "error", Code: code, Message: message})
	}
	return b
}
