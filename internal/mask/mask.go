// Package mask hides personal data in free text that is shown to people
// who are not staff: the public Open311 output (anyone may read it, with
// no key) carries the citizen's own words, and citizens type their phone
// number, ID card, plate or name into a description.
//
// The masks keep the text's shape: every hidden character becomes one
// ASCII '*', and everything around it stays, so a reader still sees that
// a phone number was given ("138****5678") and the sentence still reads.
// Because a masked character is one byte and every original character at
// least one, a masked text is never longer than the original (in bytes or
// in characters). Masking is idempotent by construction: Text repeats its
// passes until nothing more changes, so Text(Text(x)) == Text(x).
//
// It is deliberately conservative: a number is masked only when it has the
// exact shape of a mainland mobile (1[3-9] and 9 more digits), a landline
// (area code 010/02x or 0xxx, then 7–8 digits), an 18-character ID card
// number with a plausible birth date, a bank card (16–19 digits passing
// the Luhn check) or a plate (province abbreviation, letter, 5–6 letters
// and digits with at least one digit), and it must stand alone: a digit or
// ASCII letter next to it means it is part of something else (a receipt
// code, an order number). Dates, amounts and house numbers ("人民路188号")
// have none of these shapes. A name is masked only after a cue ("我叫",
// "联系人", "姓名", "我是", "姓X名") or before one ("先生", "女士", "师傅",
// "老师", "小姐") and only when it starts with a common surname; the
// surname stays ("张三丰先生" → "张**先生", "张先生" stays).
//
// The package imports nothing but the standard library and keeps no state.
package mask

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Star is what a hidden character becomes.
const Star = '*'

// Text returns s with personal data hidden (see the package comment).
func Text(s string) string {
	if s == "" {
		return s
	}
	// Invalid bytes would become U+FFFD (three bytes) below; a '?' keeps
	// the text from growing.
	s = strings.ToValidUTF8(s, "?")
	rs := []rune(s)
	changed := false
	// Each pass only turns characters into stars, so the loop ends; in
	// practice the second pass finds nothing new.
	for range len(rs) + 1 {
		hide := make([]bool, len(rs))
		n := 0
		n += emails(rs, hide)
		n += numbers(rs, hide)
		n += plates(rs, hide)
		n += names(rs, hide)
		if n == 0 {
			break
		}
		progress := false
		for i, h := range hide {
			if h && rs[i] != Star {
				rs[i] = Star
				progress = true
			}
		}
		if !progress {
			break
		}
		changed = true
	}
	if !changed {
		return s
	}
	return string(rs)
}

// roads end the road part of an address, longest first.
var roads = []string{"大道", "大街", "胡同", "路", "街", "巷", "弄"}

// Address keeps an address down to its road: everything after the first
// road name ("人民路188号3栋" → "人民路"), or, without a road, everything
// before the first digit ("春园小区5栋302" → "春园小区"), and masks what
// is left with Text. A 街道 (a subdistrict) is not a road. Like Text it is
// never longer than its input and idempotent.
func Address(s string) string {
	a := Text(cutAddress(s))
	for c := cutAddress(a); c != a; c = cutAddress(a) {
		a = Text(c)
	}
	return a
}

func cutAddress(s string) string {
	rs := []rune(strings.TrimSpace(strings.ToValidUTF8(s, "?")))
	end := len(rs)
	for i := range rs {
		if digit(rs[i]) >= 0 {
			end = i
			break
		}
		found := false
		for _, r := range roads {
			if hasAt(rs, i, r) && !hasAt(rs, i, "街道") && !hasAt(rs, i, "街镇") {
				end, found = i+len([]rune(r)), true
				break
			}
		}
		if found {
			break
		}
	}
	return strings.TrimRightFunc(string(rs[:end]), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("，。、,.;；:：-－—·（(#＃", r)
	})
}

// digit is the value of an ASCII or full-width digit, -1 for anything else.
func digit(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= '０' && r <= '９':
		return int(r - '０')
	}
	return -1
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// isFullLetter is a full-width Latin letter (Ａ–Ｚ, ａ–ｚ).
func isFullLetter(r rune) bool { return r >= 'Ａ' && r <= 'Ｚ' || r >= 'ａ' && r <= 'ｚ' }

// joins reports whether r, next to a number, makes it part of a longer
// token (a code, an identifier): a digit or a Latin letter.
func joins(r rune) bool { return digit(r) >= 0 || isASCIILetter(r) || isFullLetter(r) }

func at(rs []rune, i int) rune {
	if i < 0 || i >= len(rs) {
		return 0
	}
	return rs[i]
}

// isSep is a separator people put between digit groups.
func isSep(r rune) bool {
	switch r {
	case ' ', '-', '－', '\u3000', '\u00a0':
		return true
	}
	return false
}

func mark(hide []bool, idx []int) int {
	for _, i := range idx {
		hide[i] = true
	}
	return len(idx)
}

// digitsFrom reads up to n contiguous digits from i and returns their
// positions and the position after the last one.
func digitsFrom(rs []rune, i, n int) ([]int, int) {
	var idx []int
	for j := i; j < len(rs) && len(idx) < n; j++ {
		if digit(rs[j]) < 0 {
			break
		}
		idx = append(idx, j)
	}
	end := i
	if len(idx) > 0 {
		end = idx[len(idx)-1] + 1
	}
	return idx, end
}

// grouped reads digit groups of the given sizes from i, separated by one
// and the same separator (or none at all), and returns the digit
// positions and the end, or nil when the shape does not match.
func grouped(rs []rune, i int, sizes []int) ([]int, int) {
	// Without separators.
	total := 0
	for _, s := range sizes {
		total += s
	}
	if idx, end := digitsFrom(rs, i, total); len(idx) == total && digit(at(rs, end)) < 0 {
		return idx, end
	}
	// With one separator kind between every group.
	var sep rune
	var idx []int
	j := i
	for g, size := range sizes {
		if g > 0 {
			r := at(rs, j)
			if !isSep(r) || (sep != 0 && r != sep) {
				return nil, 0
			}
			sep = r
			j++
		}
		d, end := digitsFrom(rs, j, size)
		if len(d) != size {
			return nil, 0
		}
		idx = append(idx, d...)
		j = end
	}
	if digit(at(rs, j)) >= 0 {
		return nil, 0
	}
	return idx, j
}

// numbers marks mobiles, landlines, ID cards and bank cards.
func numbers(rs []rune, hide []bool) int {
	n := 0
	for i := 0; i < len(rs); i++ {
		if joins(at(rs, i-1)) {
			continue
		}
		start := i
		// A country prefix: +86, ＋86, 0086, optionally followed by a
		// separator; the number proper must be a mobile.
		if r := rs[i]; r == '+' || r == '＋' || (digit(r) == 0 && digit(at(rs, i+1)) == 0) {
			j := i + 1
			if r != '+' && r != '＋' {
				j = i + 2
			}
			if digit(at(rs, j)) == 8 && digit(at(rs, j+1)) == 6 {
				k := j + 2
				if isSep(at(rs, k)) {
					k++
				}
				if idx, end := mobile(rs, k); idx != nil {
					n += mark(hide, idx[3:7])
					i = end - 1
					continue
				}
			}
		}
		if digit(rs[i]) < 0 {
			continue
		}
		if idx, end := mobile(rs, start); idx != nil {
			n += mark(hide, idx[3:7])
			i = end - 1
			continue
		}
		if idx, end := idCard(rs, start); idx != nil {
			n += mark(hide, idx[3:16])
			i = end - 1
			continue
		}
		if idx, end := bankCard(rs, start); idx != nil {
			n += mark(hide, idx[:len(idx)-4])
			i = end - 1
			continue
		}
		if idx, end := landline(rs, start); idx != nil {
			n += mark(hide, idx)
			i = end - 1
			continue
		}
		// Skip the rest of this digit run: a number inside it is part of
		// it.
		for i+1 < len(rs) && joins(rs[i+1]) {
			i++
		}
	}
	return n
}

// mobile matches 1[3-9]\d{9} at i, contiguous or grouped 3-4-4, standing
// alone; it returns the 11 digit positions.
func mobile(rs []rune, i int) ([]int, int) {
	if digit(at(rs, i)) != 1 || digit(at(rs, i+1)) < 3 {
		return nil, 0
	}
	idx, end := grouped(rs, i, []int{3, 4, 4})
	if idx == nil || joins(at(rs, end)) {
		return nil, 0
	}
	return idx, end
}

// idCard matches an 18-character resident ID number: 17 digits and a digit
// or X, the first not 0, a birth date 18xx–20xx with a month 01–12 and a
// day 01–31. The check digit is not verified: a mistyped number is still
// someone's.
func idCard(rs []rune, i int) ([]int, int) {
	idx, end := digitsFrom(rs, i, 17)
	if len(idx) != 17 || digit(rs[i]) == 0 {
		return nil, 0
	}
	last := at(rs, end)
	if digit(last) >= 0 || last == 'X' || last == 'x' || last == 'Ｘ' || last == 'ｘ' {
		idx = append(idx, end)
		end++
	} else {
		return nil, 0
	}
	if joins(at(rs, end)) {
		return nil, 0
	}
	d := func(k int) int { return digit(rs[idx[k]]) }
	century := d(6)*10 + d(7)
	month := d(10)*10 + d(11)
	day := d(12)*10 + d(13)
	if century < 18 || century > 20 || month < 1 || month > 12 || day < 1 || day > 31 {
		return nil, 0
	}
	return idx, end
}

// bankCard matches 16–19 digits, contiguous or in groups of 4 (the last
// group 1–4) with one separator kind, passing the Luhn check.
func bankCard(rs []rune, i int) ([]int, int) {
	var idx []int
	end := i
	if d, e := digitsFrom(rs, i, 20); len(d) >= 16 && len(d) <= 19 && digit(at(rs, e)) < 0 {
		idx, end = d, e
	} else {
		var sep rune
		j := i
		for {
			d, e := digitsFrom(rs, j, 4)
			if len(d) == 0 {
				break
			}
			if digit(at(rs, e)) >= 0 {
				return nil, 0
			}
			idx = append(idx, d...)
			end = e
			if len(d) < 4 {
				break
			}
			r := at(rs, e)
			if !isSep(r) || (sep != 0 && r != sep) || digit(at(rs, e+1)) < 0 {
				break
			}
			sep = r
			j = e + 1
		}
		if len(idx) < 16 || len(idx) > 19 {
			return nil, 0
		}
	}
	if joins(at(rs, end)) || !luhn(rs, idx) {
		return nil, 0
	}
	return idx, end
}

func luhn(rs []rune, idx []int) bool {
	sum := 0
	for k := 0; k < len(idx); k++ {
		v := digit(rs[idx[len(idx)-1-k]])
		if k%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// landline matches a mainland fixed-line number: an area code (010 and
// 02x have three digits, the others four), optionally in brackets or
// followed by a dash or space, then 7 or 8 digits standing alone. It
// returns the positions to hide: the subscriber number but its last two
// digits (the area code says only the city).
func landline(rs []rune, i int) ([]int, int) {
	if digit(at(rs, i)) != 0 {
		return nil, 0
	}
	second := digit(at(rs, i+1))
	if second <= 0 {
		return nil, 0
	}
	area := 4
	if second == 1 || second == 2 {
		area = 3
	}
	a, j := digitsFrom(rs, i, area)
	if len(a) != area {
		return nil, 0
	}
	if r := at(rs, j); isSep(r) || r == ')' || r == '）' {
		j++
	}
	sub, end := digitsFrom(rs, j, 9)
	if (len(sub) != 7 && len(sub) != 8) || joins(at(rs, end)) {
		return nil, 0
	}
	return sub[:len(sub)-2], end
}

// provinces are the first characters of mainland plates.
const provinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

// plates marks vehicle plates: a province, a letter, an optional dot or
// space, then 5 (ordinary) or 6 (new energy) letters and digits with at
// least one digit, standing alone. The province and letter stay (they say
// only where the car is registered) and so does the last character.
func plates(rs []rune, hide []bool) int {
	n := 0
	for i := 0; i < len(rs); i++ {
		if !strings.ContainsRune(provinces, rs[i]) {
			continue
		}
		if !isASCIILetter(at(rs, i+1)) && !isFullLetter(at(rs, i+1)) {
			continue
		}
		j := i + 2
		if r := at(rs, j); r == '·' || r == '•' || r == '・' || r == ' ' || r == '-' {
			j++
		}
		var idx []int
		digits := 0
		for k := j; k < len(rs) && len(idx) < 7; k++ {
			r := rs[k]
			if digit(r) >= 0 {
				digits++
			} else if !isASCIILetter(r) && !isFullLetter(r) {
				break
			}
			idx = append(idx, k)
		}
		if (len(idx) != 5 && len(idx) != 6) || digits == 0 {
			continue
		}
		n += mark(hide, idx[:len(idx)-1])
		i = idx[len(idx)-1]
	}
	return n
}

// emails marks the local part of e-mail addresses but its first character.
func emails(rs []rune, hide []bool) int {
	n := 0
	local := func(r rune) bool {
		return r < 128 && (isASCIILetter(r) || digit(r) >= 0 || strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r))
	}
	domain := func(r rune) bool { return r < 128 && (isASCIILetter(r) || digit(r) >= 0 || r == '-' || r == '.') }
	for i, r := range rs {
		if r != '@' && r != '＠' {
			continue
		}
		s := i
		for s > 0 && local(rs[s-1]) {
			s--
		}
		e := i + 1
		dot := false
		for e < len(rs) && domain(rs[e]) {
			if rs[e] == '.' && e+1 < len(rs) && domain(rs[e+1]) {
				dot = true
			}
			e++
		}
		if s == i || !dot || e == i+1 {
			continue
		}
		if s+1 == i {
			hide[s] = true
			n++
			continue
		}
		for k := s + 1; k < i; k++ {
			hide[k] = true
			n++
		}
	}
	return n
}

// surnames are frequent Chinese family names, less those that more often
// begin an ordinary word (高速, 金额, 石头, 方便, 安全, 程序, 管道, 党员,
// 房东, 车主…): a name is masked only when it starts with one of these, so
// the words after a cue ("我是本小区业主") stay.
const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖董袁潘蒋蔡余杜叶魏吕丁任沈姚卢姜崔钟谭陆汪范廖贾夏韦付邹孟熊秦邱尹薛闫段侯陶黎贺顾毛郝龚覃戴莫孔汤施樊葛邢乔伍庞颜倪庄聂章岳翟殷詹耿霍涂裴"

// compound are two-character family names.
var compound = []string{"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯", "端木", "长孙", "宇文"}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// familyLen is the length of the family name name starts with (1 or 2), 0
// when it starts with none this package knows.
func familyLen(name []rune) int {
	if len(name) >= 2 {
		for _, c := range compound {
			if string(name[:2]) == c {
				return 2
			}
		}
	}
	if len(name) >= 1 && strings.ContainsRune(surnames, name[0]) {
		return 1
	}
	return 0
}

// cue is a phrase that introduces a name. A strong cue is nearly always
// followed by a name, so the name may end at one of the ends words ("我叫
// 张三丰电话…"); after a weak one ("我是" is as often "我是业主") only a
// three-character name that ends the phrase counts.
type cue struct {
	text   string
	strong bool
}

var (
	cues = []cue{{"我叫", true}, {"名叫", true}, {"联系人", true}, {"姓名", true}, {"报料人", true}, {"举报人", true},
		{"投诉人", true}, {"反映人", true}, {"我是", false}}
	// cueGap may stand between a cue and the name.
	cueGap = ":：是为 \u3000"
	ends   = []string{"电话", "手机", "联系", "家住", "住在", "今年", "现住", "身份证", "反映", "投诉", "举报", "在", "的", "是", "住", "来", "想", "要", "向", "和", "与"}
	// notLast never ends a name: "我是邵阳人", "我是周家村".
	notLast = "人市县区镇乡村省州街路"
	// titles follow a name.
	titles = []string{"先生", "女士", "师傅", "老师", "小姐", "同志", "阿姨", "大爷"}
	// leads end the word before a name that a title follows ("找王小明
	// 师傅", "物业的张三丰先生").
	leads = "的找叫是请给和与向问让被把系位名"
	// cueStarts are the first characters of cues and titles, and 姓.
	cueStarts = "我名联姓报举投反先女师老小同阿大"
)

// hasAt reports whether w stands at rs[i:], comparing rune by rune (no
// allocation: it runs for every character and cue).
func hasAt(rs []rune, i int, w string) bool {
	if i < 0 {
		return false
	}
	for _, r := range w {
		if i >= len(rs) || rs[i] != r {
			return false
		}
		i++
	}
	return true
}

func allHan(rs []rune) bool {
	for _, r := range rs {
		if !isHan(r) {
			return false
		}
	}
	return len(rs) > 0
}

// names marks the given names that cues introduce; the family name stays.
func names(rs []rune, hide []bool) int {
	n := 0
	hideGiven := func(start, length int) {
		f := familyLen(rs[start : start+length])
		for k := start + f; k < start+length; k++ {
			hide[k] = true
			n++
		}
	}
	for i := range rs {
		if !strings.ContainsRune(cueStarts, rs[i]) {
			continue
		}
		for _, c := range cues {
			if !hasAt(rs, i, c.text) {
				continue
			}
			j := i + utf8.RuneCountInString(c.text)
			if j < len(rs) && strings.ContainsRune(cueGap, rs[j]) {
				j++
			}
			if l := nameAfter(rs, j, c.strong); l > 0 {
				hideGiven(j, l)
			}
		}
		// 姓X名YY: the family name is said, the given name follows 名.
		if rs[i] == '姓' && isHan(at(rs, i+1)) && at(rs, i+2) == '名' {
			j, l := i+3, 0
			for l < 2 && isHan(at(rs, j+l)) {
				l++
			}
			if l > 0 && !isHan(at(rs, j+l)) {
				for k := j; k < j+l; k++ {
					hide[k] = true
					n++
				}
			}
		}
		for _, t := range titles {
			if hasAt(rs, i, t) {
				if l, s := nameBefore(rs, i); l > 0 {
					hideGiven(s, l)
				}
			}
		}
	}
	return n
}

// nameAfter is the length of the name starting at j (0: none): a family
// name and one or two characters, all Han, ending at a non-Han character
// or, after a strong cue, at one of the ends words.
func nameAfter(rs []rune, j int, strong bool) int {
	f := familyLen(rs[j:min(j+2, len(rs))])
	if f == 0 {
		return 0
	}
	shortest := f + 1
	if !strong {
		shortest = f + 2
	}
	for l := f + 2; l >= shortest; l-- { // longest first: 张三丰 before 张三
		if j+l > len(rs) || !allHan(rs[j:j+l]) || strings.ContainsRune(notLast, rs[j+l-1]) {
			continue
		}
		if !isHan(at(rs, j+l)) {
			return l
		}
		if strong {
			for _, e := range ends {
				if hasAt(rs, j+l, e) {
					return l
				}
			}
		}
	}
	return 0
}

// nameBefore finds the name that ends just before the title at i: its
// length (a family name and one or two characters) and start, or 0 when
// the characters before are only a family name ("张先生": nothing to hide)
// or not a name. The name must begin the run of Han characters or follow
// one of the leads.
func nameBefore(rs []rune, i int) (int, int) {
	run := 0
	for k := i - 1; k >= 0 && isHan(rs[k]) && run < 6; k-- {
		run++
	}
	for _, l := range []int{4, 3, 2} {
		if l > run {
			continue
		}
		s := i - l
		f := familyLen(rs[s:i])
		if f == 0 || l-f < 1 || l-f > 2 || strings.ContainsRune(notLast, rs[i-1]) {
			continue
		}
		if l == run || strings.ContainsRune(leads, rs[s-1]) {
			return l, s
		}
	}
	return 0, 0
}
