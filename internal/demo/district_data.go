package demo

import "github.com/yiwang-gov/yiwang/internal/model"

// streetDef is one street (街道) or township (镇/乡) of the demo district.
// Urban streets grow from a seed given as a fraction (u east, v north) of the
// urban block; townships from a compass angle around the seat (degrees
// counter-clockwise from east). The geometry is invented.
type streetDef struct {
	name, pinyin string
	kind         model.OrgKind
	communities  int
	u, v         float64 // urban seed
	angle        float64 // township seed
}

var streetDefs = []streetDef{
	{name: "乐坪街道", pinyin: "leping", kind: model.OrgStreet, communities: 6, u: 0.50, v: 0.50},
	{name: "花山街道", pinyin: "huashan", kind: model.OrgStreet, communities: 5, u: 0.80, v: 0.90},
	{name: "长青街道", pinyin: "changqing", kind: model.OrgStreet, communities: 6, u: 0.20, v: 0.90},
	{name: "大科街道", pinyin: "dake", kind: model.OrgStreet, communities: 5, u: 0.95, v: 0.40},
	{name: "黄泥塘街道", pinyin: "huangnitang", kind: model.OrgStreet, communities: 4, u: 0.68, v: 0.05},
	{name: "涟滨街道", pinyin: "lianbin", kind: model.OrgStreet, communities: 6, u: 0.32, v: 0.05},
	{name: "大埠桥街道", pinyin: "dabuqiao", kind: model.OrgStreet, communities: 4, u: 0.05, v: 0.45},
	{name: "杉山镇", pinyin: "shanshan", kind: model.OrgTownship, communities: 6, angle: 90},
	{name: "蛇形山镇", pinyin: "shexingshan", kind: model.OrgTownship, communities: 5, angle: 270},
	{name: "水洞底镇", pinyin: "shuidongdi", kind: model.OrgTownship, communities: 6, angle: 210},
	{name: "万宝镇", pinyin: "wanbao", kind: model.OrgTownship, communities: 5, angle: 150},
	{name: "茶园镇", pinyin: "chayuan", kind: model.OrgTownship, communities: 5, angle: 30},
	{name: "双江乡", pinyin: "shuangjiang", kind: model.OrgTownship, communities: 4, angle: 330},
}

// Invented community (社区) and village (村) names, used in order.
var communityStems = []string{
	"新星", "月塘", "春园", "建设", "育才", "光明", "和平", "湘中", "星火", "涟水",
	"花溪", "东风", "杏园", "仙女", "锦绣", "书院", "长乐", "幸福", "向阳", "清泉",
	"金桂", "新华", "竹园", "桃园", "桥头", "秀水", "龙湾", "凤凰", "泰和", "华新",
	"梅苑", "翠竹", "新桥", "荷塘", "枫林", "石塘", "团结", "文昌", "振兴", "春晖",
	"金谷", "双拥", "工农", "湾塘", "湘阳", "锦江",
}

var villageStems = []string{
	"石井", "桃花", "大塘", "枫树", "白马", "黄龙", "茶山", "竹山", "杨家", "李家湾",
	"清水", "青山", "龙泉", "新屋", "田心", "长塘", "古塘", "湾里", "金山", "双桥",
	"高桥", "荷叶", "杉树", "松山", "峡山", "洪山", "石门", "团山", "莲花", "凤形",
	"马鞍", "鹤岭", "梅塘", "桐木", "柘溪", "楠木", "栗山", "塘湾",
}

// deptDef is a 区直单位. key is the pinyin username of its unit account and
// the name categories refer to it by.
type deptDef struct {
	key, name, short string
}

// disciplineKey is the department key of the discipline commission.
const disciplineKey = "jiwei"

var deptDefs = []deptDef{
	{"chengguan", "区城市管理局", "城管"},
	{"zhujian", "区住房和城乡建设局", "住建"},
	{"jiaoyu", "区教育局", "教育"},
	{"shuili", "区水利局", "水利"},
	{"minzheng", "区民政局", "民政"},
	{"renshe", "区人力资源和社会保障局", "人社"},
	{"yibao", "区医疗保障局", "医保"},
	{"shijian", "区市场监督管理局", "市场监管"},
	{"nongye", "区农业农村局", "农业农村"},
	{"caizheng", "区财政局", "财政"},
	{"ziran", "区自然资源局", "自然资源"},
	{"shengtai", "区生态环境分局", "生态环境"},
	{"jiaotong", "区交通运输局", "交通运输"},
	{"weijian", "区卫生健康局", "卫健"},
	{"gongan", "区公安分局", "公安"},
	{"yingji", "区应急管理局", "应急"},
	{"sifa", "区司法局", "司法"},
	{disciplineKey, "区纪委监委", "纪委监委"},
}

func wd(n int) model.DeadlineRule {
	return model.DeadlineRule{Kind: model.DeadlineWorkingDays, Amount: n}
}
func wh(n int) model.DeadlineRule {
	return model.DeadlineRule{Kind: model.DeadlineWorkingHours, Amount: n}
}
func uh(n int) model.DeadlineRule {
	return model.DeadlineRule{Kind: model.DeadlineUrgentHours, Amount: n}
}
func nd(n int) model.DeadlineRule {
	return model.DeadlineRule{Kind: model.DeadlineNaturalDays, Amount: n}
}

// catDef is a category; unit is a department key, "" for 属地.
type catDef struct {
	code, name, en, unit string
	dl                   model.DeadlineRule
}

// majorDef is a top-level category with its leaves.
type majorDef struct {
	kind   model.CategoryKind
	head   catDef
	leaves []catDef
}

// Case types of the categories.
const (
	CaseTypeCity          = "city_case"
	CaseTypeRectification = "rectification"
)

// Component (部件) and event (事件) classes after GB/T 30428: 2-digit major +
// 2-digit minor. Event codes carry an "E" and domain codes a "Z" so that all
// category codes stay unique. Minor numbers are this demo's own.
var categoryDefs = []majorDef{
	{model.CategoryComponent, catDef{"01", "公用设施", "Public utilities", "", wd(7)}, []catDef{
		{"0101", "上水井盖", "Water supply manhole cover", "zhujian", wh(24)},
		{"0102", "污水井盖", "Sewer manhole cover", "zhujian", wh(24)},
		{"0103", "雨水井盖", "Storm drain manhole cover", "chengguan", wh(24)},
		{"0104", "雨水篦子", "Storm drain grate", "chengguan", wh(24)},
		{"0105", "路灯", "Street light", "chengguan", wd(3)},
		{"0106", "消防栓", "Fire hydrant", "yingji", wd(3)},
	}},
	{model.CategoryComponent, catDef{"02", "道路交通", "Roads and traffic", "", wd(7)}, []catDef{
		{"0201", "交通信号灯", "Traffic signal", "gongan", wh(8)},
		{"0202", "道路护栏", "Road guardrail", "jiaotong", wd(7)},
		{"0203", "公交站亭", "Bus shelter", "jiaotong", wd(7)},
		{"0204", "路名牌", "Street name sign", "minzheng", wd(7)},
		{"0205", "交通标志牌", "Traffic sign", "gongan", wd(7)},
	}},
	{model.CategoryComponent, catDef{"03", "市容环境", "City appearance facilities", "", wd(7)}, []catDef{
		{"0301", "垃圾箱", "Litter bin", "chengguan", wd(3)},
		{"0302", "公厕", "Public toilet", "chengguan", wd(3)},
		{"0303", "垃圾中转站", "Refuse transfer station", "chengguan", wd(7)},
		{"0304", "广告牌匾", "Billboard and shop sign", "chengguan", wd(7)},
	}},
	{model.CategoryComponent, catDef{"04", "园林绿化", "Landscaping and greenery", "", wd(7)}, []catDef{
		{"0401", "古树名木", "Heritage tree", "ziran", wd(7)},
		{"0402", "行道树", "Street tree", "chengguan", wd(7)},
		{"0403", "绿地", "Green space", "chengguan", wd(7)},
		{"0404", "城市雕塑", "Public sculpture", "chengguan", wd(15)},
	}},
	{model.CategoryComponent, catDef{"05", "房屋土地", "Buildings and land", "", wd(7)}, []catDef{
		{"0501", "危房", "Dangerous building", "zhujian", wd(3)},
		{"0502", "在建工地", "Construction site", "zhujian", wd(7)},
		{"0503", "待建地", "Vacant building land", "ziran", wd(15)},
		{"0504", "人防工事", "Civil air defence works", "zhujian", wd(15)},
	}},
	{model.CategoryComponent, catDef{"06", "其他设施", "Other facilities", "", wd(7)}, []catDef{
		{"0601", "重大危险源", "Major hazard installation", "yingji", wd(3)},
		{"0602", "水域附属设施", "Waterside facility", "shuili", wd(7)},
		{"0603", "监控电子眼", "Surveillance camera", "gongan", wd(7)},
	}},
	{model.CategoryEvent, catDef{"E01", "市容环境", "City appearance", "", wd(7)}, []catDef{
		{"E0101", "私搭乱建", "Illegal structure", "chengguan", wd(15)},
		{"E0102", "暴露垃圾", "Exposed garbage", "", wh(24)},
		{"E0103", "积存垃圾渣土", "Accumulated refuse and muck", "", wd(3)},
		{"E0104", "道路不洁", "Dirty road", "chengguan", wh(24)},
		{"E0105", "水域不洁", "Dirty waterway", "shuili", wd(3)},
		{"E0106", "绿地脏乱", "Littered green space", "chengguan", wd(3)},
		{"E0107", "露天焚烧", "Open burning", "shengtai", wh(8)},
	}},
	{model.CategoryEvent, catDef{"E02", "宣传广告", "Publicity and advertising", "", wd(7)}, []catDef{
		{"E0201", "乱张贴", "Illegal flyposting", "", wd(3)},
		{"E0202", "违规户外广告", "Non-compliant outdoor advertising", "chengguan", wd(7)},
		{"E0203", "街头散发广告", "Street leafleting", "", wd(3)},
	}},
	{model.CategoryEvent, catDef{"E03", "施工管理", "Construction management", "", wd(7)}, []catDef{
		{"E0301", "施工扰民", "Construction noise", "shengtai", wh(24)},
		{"E0302", "工地扬尘", "Construction dust", "zhujian", wd(3)},
		{"E0303", "道路遗撒", "Spillage on road", "chengguan", wh(24)},
		{"E0304", "道路破损", "Damaged road surface", "zhujian", wd(7)},
		{"E0305", "施工占道", "Construction occupying the road", "chengguan", wd(3)},
	}},
	{model.CategoryEvent, catDef{"E04", "突发事件", "Emergencies", "", uh(2)}, []catDef{
		{"E0401", "路面塌陷", "Road collapse", "zhujian", uh(2)},
		{"E0402", "自来水管破裂", "Burst water main", "zhujian", uh(2)},
		{"E0403", "燃气泄漏", "Gas leak", "zhujian", uh(2)},
		{"E0404", "路面积水", "Standing water on road", "chengguan", wh(24)},
		{"E0405", "井盖缺失", "Missing manhole cover", "chengguan", uh(2)},
		{"E0406", "下水道堵塞", "Blocked sewer", "zhujian", wh(24)},
		{"E0407", "火灾", "Fire", "yingji", uh(2)},
	}},
	{model.CategoryEvent, catDef{"E05", "街面秩序", "Street order", "", wd(7)}, []catDef{
		{"E0501", "占道经营", "Street vending on the roadway", "", wd(3)},
		{"E0502", "无照经营游商", "Unlicensed hawking", "", wd(3)},
		{"E0503", "店外经营", "Trading outside the shop", "", wd(3)},
		{"E0504", "乱堆物堆料", "Materials piled on the street", "", wd(3)},
		{"E0505", "机动车乱停放", "Illegally parked motor vehicle", "gongan", wh(8)},
		{"E0506", "非机动车乱停放", "Disorderly bicycle parking", "", wd(3)},
		{"E0507", "露天烧烤", "Open-air barbecue", "chengguan", wh(24)},
		{"E0508", "流浪乞讨", "Vagrancy and begging", "minzheng", wh(24)},
	}},
	{model.CategoryDomain, catDef{"Z", "整治领域", "Rectification domains", "", wd(15)}, []catDef{
		{"Z01", "校园餐", "School meals", "jiaoyu", wd(15)},
		{"Z02", "乡村振兴资金", "Rural revitalisation funds", "nongye", wd(15)},
		{"Z03", "农村供水", "Rural water supply", "shuili", wd(15)},
		{"Z04", "农村集体三资", "Rural collective assets", "nongye", wd(15)},
		{"Z05", "殡葬", "Funeral services", "minzheng", wd(15)},
		{"Z06", "医保基金", "Medical insurance fund", "yibao", wd(15)},
		{"Z07", "养老服务", "Elderly care services", "minzheng", wd(15)},
		{"Z08", "涉企执法", "Law enforcement affecting enterprises", "sifa", wd(15)},
		{"Z09", "工程项目建设", "Construction projects", "zhujian", nd(30)},
		{"Z10", "物业", "Property management", "zhujian", wd(15)},
		{"Z11", "欠薪", "Wage arrears", "renshe", wd(7)},
		{"Z12", "不动产登记", "Real estate registration", "ziran", wd(15)},
		{"Z13", "社会救助", "Social assistance", "minzheng", wd(15)},
		{"Z14", "充电桩", "EV charging points", "zhujian", wd(15)},
	}},
}

// Names for grid workers, combined deterministically.
var (
	surnames   = []string{"张", "王", "李", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "罗", "曾", "彭", "谭", "邓"}
	givenNames = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "志华", "湘君", "建平", "海燕", "红梅"}
)
