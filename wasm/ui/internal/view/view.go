//go:build js && wasm

// Package view builds the extension pages' DOM with honnef.co/go/js/dom/v2: a small element builder, form
// fields whose labels and hints a screen reader announces, live regions for status and errors, and event wiring
// that keeps the Go side off the browser's event thread.
//
// Text always goes in as text (textContent), never as HTML: nothing a service worker or a site supplies can
// become markup.
package view

import (
	"strconv"
	"syscall/js"

	"honnef.co/go/js/dom/v2"
)

// El is an HTML element: always the concrete *dom.BasicHTMLElement, never the dom.Element interface. dom/v2
// wraps elements it returns (CreateElement, QuerySelector, ParentNode…) in one of about a hundred element types
// behind an interface, and every method then called through that interface is linked into the wasm for all of
// those types; building the concrete type directly keeps ui.wasm several hundred kilobytes smaller.
type El = *dom.BasicHTMLElement

// wrap makes an El of a JavaScript element, or nil for null/undefined.
func wrap(v js.Value) El {
	if v.IsNull() || v.IsUndefined() {
		return nil
	}
	return &dom.BasicHTMLElement{BasicElement: &dom.BasicElement{BasicNode: &dom.BasicNode{Value: v}}}
}

// Doc is the page's document.
type Doc struct {
	win dom.Window
	doc js.Value
}

// Current returns the document of the running page.
func Current() Doc {
	return Doc{win: dom.GetWindow(), doc: js.Global().Get("document")}
}

// Window returns the page's window.
func (d Doc) Window() dom.Window { return d.win }

// Attr is one attribute for E.
type Attr struct{ Name, Value string }

// A makes an attribute.
func A(name, value string) Attr { return Attr{name, value} }

// ID makes an id attribute.
func ID(id string) Attr { return Attr{"id", id} }

// Class makes a class attribute.
func Class(c string) Attr { return Attr{"class", c} }

// E creates an element. Each part is an Attr, a string (appended as text), an El (appended), a []El (each
// appended) or nil (ignored).
func (d Doc) E(tag string, parts ...any) El {
	el := wrap(d.doc.Call("createElement", tag))
	for _, p := range parts {
		switch v := p.(type) {
		case Attr:
			el.SetAttribute(v.Name, v.Value)
		case string:
			el.Call("append", v) // a string argument becomes a text node
		case El:
			if v != nil {
				el.Call("append", v.Value)
			}
		case []El:
			for _, c := range v {
				if c != nil {
					el.Call("append", c.Value)
				}
			}
		}
	}
	return el
}

// ByID finds an element, or nil.
func (d Doc) ByID(id string) El { return wrap(d.doc.Call("getElementById", id)) }

// Find returns the first element under el matching a CSS selector, or nil.
func Find(el El, selector string) El { return wrap(el.Call("querySelector", selector)) }

// Root is <main id="app">, the container every page renders into.
func (d Doc) Root() El { return d.ByID("app") }

// Replace empties parent and appends children (nil ones are skipped).
func Replace(parent El, children ...El) {
	args := make([]any, 0, len(children))
	for _, c := range children {
		if c != nil {
			args = append(args, c.Value)
		}
	}
	parent.Call("replaceChildren", args...)
}

// Swap puts replacement where old is.
func Swap(old, replacement El) { old.Call("replaceWith", replacement.Value) }

// SetTitle sets the document title.
func (d Doc) SetTitle(title string) { d.doc.Set("title", title) }

// Show renders a screen: it replaces the root's content, sets the title and moves focus to the screen's first
// heading (made focusable with tabindex=-1), so keyboard and screen-reader users land at the start of the new
// step, or to autofocusID when given.
func (d Doc) Show(title string, autofocusID string, children ...El) {
	root := d.Root()
	Replace(root, children...)
	root.RemoveAttribute("aria-busy")
	d.SetTitle(title + " · Twinkey")
	if autofocusID != "" {
		if el := d.ByID(autofocusID); el != nil {
			el.Focus()
			return
		}
	}
	if h := Find(root, "h1, h2"); h != nil {
		h.SetAttribute("tabindex", "-1")
		h.Focus()
	}
}

// Field is a labelled input: <div class="field"><label for=id>…</label><input id=id …><p id=id-hint>…</p></div>.
// The hint (if any) is linked with aria-describedby, so it is read with the field.
func (d Doc) Field(id, label, inputType, hint string, attrs ...Attr) El {
	input := d.E("input", ID(id), A("name", id), A("type", inputType))
	for _, a := range attrs {
		input.SetAttribute(a.Name, a.Value)
	}
	var hintEl El
	if hint != "" {
		input.SetAttribute("aria-describedby", id+"-hint")
		hintEl = d.E("p", ID(id+"-hint"), Class("hint"), hint)
	}
	return d.E("div", Class("field"), d.E("label", A("for", id), label), input, hintEl)
}

// Message is an empty live region for results: role=status (polite) or, for errors, role=alert (assertive).
func (d Doc) Message(id string, isError bool) El {
	if isError {
		return d.E("p", ID(id), Class("message error"), A("role", "alert"), A("hidden", ""))
	}
	return d.E("p", ID(id), Class("message status"), A("role", "status"), A("aria-live", "polite"))
}

// Say sets a message region's text; an empty text hides an error region.
func (d Doc) Say(id, text string) {
	el := d.ByID(id)
	if el == nil {
		return
	}
	el.SetTextContent(text)
	if el.GetAttribute("role") == "alert" {
		if text == "" {
			el.SetAttribute("hidden", "")
		} else {
			el.RemoveAttribute("hidden")
		}
	}
}

// Value reads an input's or select's value.
func (d Doc) Value(id string) string {
	el := d.ByID(id)
	if el == nil {
		return ""
	}
	return el.Get("value").String()
}

// SetValue writes an input's value.
func (d Doc) SetValue(id, v string) {
	if el := d.ByID(id); el != nil {
		el.Set("value", v)
	}
}

// Checked reads a checkbox or radio button.
func (d Doc) Checked(id string) bool {
	el := d.ByID(id)
	return el != nil && el.Get("checked").Truthy()
}

// Focus focuses an element and, for text inputs, selects their content so typing replaces it.
func (d Doc) Focus(id string) {
	el := d.ByID(id)
	if el == nil {
		return
	}
	el.Focus()
	if el.Get("tagName").String() == "INPUT" {
		el.Call("select")
	}
}

// Invalid marks a field as wrong (aria-invalid) or clears the mark.
func (d Doc) Invalid(id string, wrong bool) {
	el := d.ByID(id)
	if el == nil {
		return
	}
	if wrong {
		el.SetAttribute("aria-invalid", "true")
	} else {
		el.RemoveAttribute("aria-invalid")
	}
}

// Busy disables a button while a request runs (and marks the form busy for assistive technology).
func (d Doc) Busy(buttonID string, busy bool) {
	el := d.ByID(buttonID)
	if el == nil {
		return
	}
	el.Set("disabled", busy)
	if form := wrap(el.Call("closest", "form")); form != nil {
		if busy {
			form.SetAttribute("aria-busy", "true")
		} else {
			form.RemoveAttribute("aria-busy")
		}
	}
}

// OnSubmit runs fn when the form is submitted (Enter in a field or its submit button). The browser's own
// submission is prevented; fn runs in its own goroutine, so it may wait for the service worker.
func OnSubmit(form El, fn func()) {
	form.AddEventListener("submit", false, func(ev dom.Event) {
		ev.PreventDefault()
		go fn()
	})
}

// OnClick runs fn in its own goroutine when the element is activated (click, Enter or Space on a button).
func OnClick(el El, fn func()) {
	el.AddEventListener("click", false, func(ev dom.Event) {
		ev.PreventDefault()
		go fn()
	})
}

// On runs fn synchronously for an event; fn must not block.
func On(el El, typ string, fn func(dom.Event)) {
	el.AddEventListener(typ, false, fn)
}

// Button makes a button; kind "submit" submits its form, "button" does not.
func (d Doc) Button(id, kind, label string, attrs ...Attr) El {
	b := d.E("button", ID(id), A("type", kind), label)
	for _, a := range attrs {
		b.SetAttribute(a.Name, a.Value)
	}
	return b
}

// Itoa is strconv.Itoa, for building IDs and labels without fmt.
func Itoa(n int) string { return strconv.Itoa(n) }

// LocalTime formats milliseconds since the Unix epoch in the person's locale and time zone (the browser's
// Intl, which Go's wasm port does not have), and as an ISO string for a <time datetime> attribute.
func LocalTime(ms float64) (shown, iso string) {
	date := js.Global().Get("Date").New(ms)
	if v := date.Call("getTime"); v.IsNaN() {
		return "", ""
	}
	opts := map[string]any{"month": "short", "day": "numeric", "hour": "numeric", "minute": "2-digit"}
	return date.Call("toLocaleString", js.Undefined(), opts).String(), date.Call("toISOString").String()
}

// Query reads a query parameter of the page's URL.
func (d Doc) Query(name string) string {
	params := js.Global().Get("URLSearchParams").New(d.win.Location().Value.Get("search"))
	v := params.Call("get", name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// Navigate goes to another extension page (a relative URL such as "popup.html").
func (d Doc) Navigate(url string) { d.win.Location().Value.Call("assign", url) }
