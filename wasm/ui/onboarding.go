//go:build js && wasm

package main

// onboarding.html: opened on install until a vault exists. Create a vault (passphrase, 24 words shown once,
// confirm three of them) or restore one from its recovery phrase as the primary or the backup twin.
//
// Element IDs (stable, for tests):
//   Start:    #start-create, #start-restore; #already (vault exists) with #open-settings
//   Create:   #create-form, #passphrase, #passphrase2, #strength (live hint), #strength-meter, #create,
//             #create-error, #create-back
//   Words:    #words (ol), #shown-word-1 … #shown-word-24 (each word's text), #print, #words-done
//   Confirm:  #confirm-form, #confirm-word-N for the three asked positions N (ascending), #confirm,
//             #confirm-error, #show-words-again
//   Restore:  #restore-form, #word-1 … #word-24 (list="bip39-words"; pasting a whole phrase into any field fills
//             the following ones), #bip39-words (datalist), #restore-role-primary, #restore-role-backup,
//             #restore-passphrase, #restore-passphrase2, #restore-strength, #restore, #restore-error, #restore-back
//   Ready:    #ready (heading), #ready-role, #open-settings
//   Fatal:    #fatal

import (
	"crypto/rand"
	"errors"
	"strings"

	"github.com/twinkey/twinkey/wasm/ui/internal/backend"
	"github.com/twinkey/twinkey/wasm/ui/internal/phrase"
	"github.com/twinkey/twinkey/wasm/ui/internal/view"
	"honnef.co/go/js/dom/v2"
)

// confirmCount is how many words the person re-types to show they wrote the phrase down.
const confirmCount = 3

// onboarding holds one run of the page. words is the new phrase between create and confirmation only.
type onboarding struct {
	page
	words []string
	asked []int // 1-based positions to confirm
}

func runOnboarding(p page) {
	o := &onboarding{page: p}
	st, err := p.client.Status()
	if err != nil {
		showFatal(p.doc, describe(err))
		return
	}
	if st.Exists {
		o.showAlready(st.Role)
		return
	}
	o.showStart()
}

func (o *onboarding) showAlready(role backend.Role) {
	d := o.doc
	d.Show("Set up", "",
		d.E("h1", view.ID("already"), "Twinkey is already set up"),
		d.E("p", "This browser holds a Twinkey vault (role: "+role.Label()+"). Manage it in the settings."),
		d.E("p", d.E("a", view.ID("open-settings"), view.A("href", "settings.html"), view.Class("button"), "Open settings")))
}

func (o *onboarding) showStart() {
	d := o.doc
	create := d.Button("start-create", "button", "Create a new Twinkey", view.Class("primary"))
	restore := d.Button("start-restore", "button", "Restore from a recovery phrase")
	view.OnClick(create, o.showCreate)
	view.OnClick(restore, o.showRestore)
	d.Show("Set up", "",
		d.E("h1", "Welcome to Twinkey"),
		d.E("p", view.Class("lead"), "Twinkey is a security key that lives in this browser. Its secret can be written down as 24 words, so you can restore it, or keep a backup twin, on paper."),
		d.E("div", view.Class("choices"),
			d.E("section", view.Class("card"),
				d.E("h2", "New here?"),
				d.E("p", "Create a new key. You will choose a passphrase and write down 24 words."),
				create),
			d.E("section", view.Class("card"),
				d.E("h2", "Have your 24 words?"),
				d.E("p", "Restore your key from its recovery phrase, as the primary key or as its backup twin."),
				restore)))
}

// --- Create ---------------------------------------------------------------------------------------------

func (o *onboarding) showCreate() {
	d := o.doc
	form := d.E("form", view.ID("create-form"), view.A("novalidate", ""),
		d.E("p", "The passphrase unlocks Twinkey in this browser. It is not part of the recovery phrase: if you forget it, you can restore from your 24 words."),
		passphrasePair(d, "passphrase", "passphrase2", "strength", "Passphrase"),
		d.Message("create-error", true),
		d.E("div", view.Class("actions"),
			d.Button("create", "submit", "Create my key", view.Class("primary")),
			d.Button("create-back", "button", "Back")))
	view.OnSubmit(form, o.submitCreate)
	view.OnClick(view.Find(form, "#create-back"), o.showStart)
	d.Show("Create a key", "passphrase", step(d, 1), d.E("h1", "Choose a passphrase"), form)
}

func (o *onboarding) submitCreate() {
	d := o.doc
	pass := d.Value("passphrase")
	if msg := checkNewPassphrase(pass, d.Value("passphrase2")); msg != "" {
		d.Say("create-error", msg)
		if strings.Contains(msg, "different") {
			d.Focus("passphrase2")
		} else {
			d.Focus("passphrase")
		}
		return
	}
	d.Say("create-error", "")
	d.Busy("create", true)
	_, words, err := o.client.Create(pass)
	d.Busy("create", false)
	if err != nil {
		d.Say("create-error", describe(err))
		return
	}
	o.words = strings.Fields(words)
	o.showWords()
}

func (o *onboarding) showWords() {
	d := o.doc
	list := d.E("ol", view.ID("words"), view.Class("words"), view.A("aria-label", "Recovery phrase, 24 words"))
	for i, w := range o.words {
		n := view.Itoa(i + 1)
		list.AppendChild(d.E("li", d.E("span", view.Class("n"), view.A("aria-hidden", "true"), n),
			d.E("span", view.ID("shown-word-"+n), view.Class("w"), w)))
	}
	printBtn := d.Button("print", "button", "Print")
	done := d.Button("words-done", "button", "I have written them down", view.Class("primary"))
	view.OnClick(printBtn, func() { d.Window().Print() })
	view.OnClick(done, o.showConfirm)
	d.Show("Your recovery phrase", "",
		step(d, 2),
		d.E("h1", "Your recovery phrase"),
		d.E("p", view.Class("screen-only"), "Write these 24 words on paper, in order, and keep the paper somewhere safe. Anyone who has them can act as your security key; Twinkey will not show them again here unless you ask for them in the settings with your passphrase."),
		d.E("p", view.Class("print-only"), "Twinkey recovery phrase. Keep this paper private and safe."),
		list,
		d.E("div", view.Class("actions screen-only"), printBtn, done))
}

func (o *onboarding) showConfirm() {
	d := o.doc
	if o.asked == nil {
		asked, err := phrase.PickPositions(rand.Reader, confirmCount)
		if err != nil {
			showFatal(d, "Could not pick words to confirm. Reload the page.")
			return
		}
		o.asked = asked
	}
	fields := make([]view.El, 0, len(o.asked))
	for _, n := range o.asked {
		id := "confirm-word-" + view.Itoa(n)
		fields = append(fields, d.Field(id, "Word "+view.Itoa(n), "text", "",
			view.A("autocomplete", "off"), view.A("autocapitalize", "none"), view.A("spellcheck", "false"),
			view.A("list", "bip39-words")))
	}
	form := d.E("form", view.ID("confirm-form"), view.A("novalidate", ""),
		d.E("p", "To check that your paper is right, type the words at these positions."),
		fields,
		d.Message("confirm-error", true),
		d.E("div", view.Class("actions"),
			d.Button("confirm", "submit", "Confirm", view.Class("primary")),
			d.Button("show-words-again", "button", "Show the words again")))
	view.OnSubmit(form, o.submitConfirm)
	view.OnClick(view.Find(form, "#show-words-again"), o.showWords)
	d.Show("Confirm your recovery phrase", "confirm-word-"+view.Itoa(o.asked[0]),
		step(d, 3), d.E("h1", "Confirm your recovery phrase"), form, o.datalist())
}

func (o *onboarding) submitConfirm() {
	d := o.doc
	var wrong []int
	for _, n := range o.asked {
		id := "confirm-word-" + view.Itoa(n)
		ok := phrase.Normalize(d.Value(id)) == o.words[n-1]
		d.Invalid(id, !ok)
		if !ok {
			wrong = append(wrong, n)
		}
	}
	if len(wrong) > 0 {
		names := make([]string, len(wrong))
		for i, n := range wrong {
			names[i] = view.Itoa(n)
		}
		what := "Word " + names[0] + " does not match"
		if len(wrong) > 1 {
			what = "Words " + strings.Join(names, ", ") + " do not match"
		}
		d.Say("confirm-error", what+" your recovery phrase. Check your paper and try again.")
		d.Focus("confirm-word-" + view.Itoa(wrong[0]))
		return
	}
	o.words, o.asked = nil, nil // the phrase leaves the page's memory with the confirmation
	o.showReady(backend.RolePrimary)
}

// --- Restore --------------------------------------------------------------------------------------------

func (o *onboarding) showRestore() {
	d := o.doc
	grid := d.E("ol", view.Class("word-inputs"))
	for i := 1; i <= phrase.Words; i++ {
		n := view.Itoa(i)
		input := d.E("input", view.ID("word-"+n), view.A("name", "word-"+n), view.A("type", "text"),
			view.A("list", "bip39-words"), view.A("autocomplete", "off"), view.A("autocapitalize", "none"),
			view.A("spellcheck", "false"))
		o.wireWordInput(input, i)
		grid.AppendChild(d.E("li", d.E("label", view.A("for", "word-"+n), "Word "+n), input))
	}
	primary := d.E("input", view.ID("restore-role-primary"), view.A("type", "radio"), view.A("name", "role"),
		view.A("value", "primary"), view.A("aria-describedby", "restore-role-primary-hint"))
	backup := d.E("input", view.ID("restore-role-backup"), view.A("type", "radio"), view.A("name", "role"),
		view.A("value", "backup"), view.A("aria-describedby", "restore-role-backup-hint"))
	roles := d.E("fieldset", view.Class("roles"),
		d.E("legend", "What is this browser?"),
		d.E("div", view.Class("radio"), primary, d.E("label", view.A("for", "restore-role-primary"), "The primary key"),
			d.E("p", view.ID("restore-role-primary-hint"), view.Class("hint"),
				"Your main key, as before. Choose this when you move to a new browser or computer.")),
		d.E("div", view.Class("radio"), backup, d.E("label", view.A("for", "restore-role-backup"), "The backup twin"),
			d.E("p", view.ID("restore-role-backup-hint"), view.Class("hint"),
				"A backup answers every site the primary registered. The first time you use it at a site that checks signature counters, that site refuses the primary from then on. Choose this when the primary is lost.")))
	form := d.E("form", view.ID("restore-form"), view.A("novalidate", ""),
		d.E("fieldset", d.E("legend", "Your 24 words, in order"),
			d.E("p", view.Class("hint"), "Type each word; suggestions come from the recovery word list. You can also paste the whole phrase into the first field."),
			grid),
		roles,
		d.E("fieldset", d.E("legend", "A passphrase for this browser"),
			passphrasePair(d, "restore-passphrase", "restore-passphrase2", "restore-strength", "Passphrase")),
		d.Message("restore-error", true),
		d.E("div", view.Class("actions"),
			d.Button("restore", "submit", "Restore", view.Class("primary")),
			d.Button("restore-back", "button", "Back")))
	view.OnSubmit(form, o.submitRestore)
	view.OnClick(view.Find(form, "#restore-back"), o.showStart)
	d.Show("Restore", "word-1", d.E("h1", "Restore from your recovery phrase"), form, o.datalist())
}

// wireWordInput marks an unknown word as soon as the field is left, and spreads a pasted phrase over the
// following fields.
func (o *onboarding) wireWordInput(input view.El, position int) {
	d := o.doc
	id := "word-" + view.Itoa(position)
	view.On(input, "change", func(dom.Event) {
		v := phrase.Normalize(d.Value(id))
		_, known := phrase.Index(v)
		d.Invalid(id, v != "" && !known)
	})
	view.On(input, "paste", func(ev dom.Event) {
		data := ev.Underlying().Get("clipboardData")
		if data.IsUndefined() || data.IsNull() {
			return
		}
		words := phrase.Split(data.Call("getData", "text").String())
		if len(words) < 2 {
			return
		}
		ev.PreventDefault()
		d.Say("restore-error", "")
		last := position
		for i, w := range words {
			if position+i > phrase.Words {
				break
			}
			last = position + i
			d.SetValue("word-"+view.Itoa(last), w)
			_, known := phrase.Index(w)
			d.Invalid("word-"+view.Itoa(last), !known)
		}
		d.Focus("word-" + view.Itoa(last))
	})
}

func (o *onboarding) submitRestore() {
	d := o.doc
	words := make([]string, phrase.Words)
	for i := range words {
		id := "word-" + view.Itoa(i+1)
		words[i] = phrase.Normalize(d.Value(id))
		d.Invalid(id, false)
		if words[i] == "" {
			d.Invalid(id, true)
			d.Say("restore-error", "Word "+view.Itoa(i+1)+" is empty. Type all 24 words in order.")
			d.Focus(id)
			return
		}
	}
	if err := phrase.Check(words); err != nil {
		var unknown *phrase.UnknownWordError
		switch {
		case errors.As(err, &unknown):
			id := "word-" + view.Itoa(unknown.Position)
			d.Invalid(id, true)
			d.Say("restore-error", "Word "+view.Itoa(unknown.Position)+" (\u201c"+unknown.Word+"\u201d) is not in the recovery word list. Check its spelling on your paper.")
			d.Focus(id)
		case errors.Is(err, phrase.ErrChecksum):
			d.Say("restore-error", "These words are all in the word list, but together they are not a valid recovery phrase (the checksum does not match): a word is wrong or two are swapped. Compare them with your paper, in order.")
			d.Focus("word-1")
		default:
			d.Say("restore-error", "Type all 24 words in order.")
			d.Focus("word-1")
		}
		return
	}
	var role backend.Role
	switch {
	case d.Checked("restore-role-primary"):
		role = backend.RolePrimary
	case d.Checked("restore-role-backup"):
		role = backend.RoleBackup
	default:
		d.Say("restore-error", "Choose whether this browser is the primary key or the backup twin.")
		d.Focus("restore-role-primary")
		return
	}
	pass := d.Value("restore-passphrase")
	if msg := checkNewPassphrase(pass, d.Value("restore-passphrase2")); msg != "" {
		d.Say("restore-error", msg)
		d.Focus("restore-passphrase")
		return
	}
	d.Say("restore-error", "")
	d.Busy("restore", true)
	got, err := o.client.Restore(strings.Join(words, " "), role, pass)
	d.Busy("restore", false)
	if err != nil {
		d.Say("restore-error", describe(err))
		if errors.Is(err, backend.ErrBadPhrase) {
			d.Focus("word-1")
		}
		return
	}
	for i := 1; i <= phrase.Words; i++ { // the phrase leaves the form once the vault holds it
		d.SetValue("word-"+view.Itoa(i), "")
	}
	if got == "" {
		got = role
	}
	o.showReady(got)
}

// --- Ready ----------------------------------------------------------------------------------------------

func (o *onboarding) showReady(role backend.Role) {
	d := o.doc
	explain := "This browser is your primary key. Sites you register with Twinkey can be answered by a backup twin restored from the same 24 words."
	if role == backend.RoleBackup {
		explain = "This browser is the backup twin. It answers every site the primary registered; at sites that check signature counters, its first use makes the site refuse the primary from then on."
	}
	d.Show("Ready", "",
		d.E("h1", view.ID("ready"), "Twinkey is ready"),
		d.E("p", view.ID("ready-role"), view.Class("lead"), "Role: "+role.Label()+"."),
		d.E("p", explain),
		d.E("p", "When a site asks for a security key, Twinkey shows a prompt naming the site; nothing is signed without your approval."),
		d.E("p", d.E("a", view.ID("open-settings"), view.A("href", "settings.html"), view.Class("button"), "Open settings")))
}

// createSteps names the steps of creating a key, for the "Step n of 3" line.
const createSteps = 3

// step renders "Step n of 3" above a create screen's heading.
func step(d view.Doc, n int) view.El {
	return d.E("p", view.Class("step"), "Step "+view.Itoa(n)+" of "+view.Itoa(createSteps))
}

// datalist is the BIP39 English list as <datalist id="bip39-words">, for completion in word fields.
func (o *onboarding) datalist() view.El {
	d := o.doc
	list := d.E("datalist", view.ID("bip39-words"))
	for _, w := range phrase.List() {
		list.AppendChild(d.E("option", view.A("value", w)))
	}
	return list
}
