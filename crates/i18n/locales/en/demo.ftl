# The demo organisation (`serve --demo`): its name, its people's titles, groups,
# positions and first messages. People's names are the same in every language.

demo-org-name = Lillby Municipality
demo-title-1 = Chief executive
demo-title-2 = Head of security
demo-title-3 = Head of communications
demo-title-4 = Head of IT
demo-title-5 = Head of social services
demo-title-6 = Chief fire officer
demo-title-7 = Head of HR
demo-title-8 = Head of finance
demo-title-9 = Emergency preparedness coordinator
demo-title-10 = Operations technician
demo-title-11 = Systems administrator
demo-title-12 = Network technician
demo-title-13 = Communications officer
demo-title-14 = Communications officer
demo-title-15 = Home care manager
demo-title-16 = Care home manager
demo-title-17 = Head of schools
demo-title-18 = Head of technical services
demo-title-19 = Head of environment
demo-title-20 = Head of property
demo-title-21 = Municipal secretary
demo-title-22 = IT security specialist
demo-title-23 = Service desk
demo-title-24 = Service desk
demo-title-25 = Care needs assessor
demo-title-26 = Head of water and sewerage
demo-title-27 = Municipal lawyer
demo-title-28 = Security coordinator
demo-title-29 = Head of preschools
demo-title-30 = Leader of the council
demo-group-krisledning = Crisis management group
demo-group-it-beredskap = IT on call
demo-group-kommunikation = Communications
demo-group-vard-och-omsorg = Health and care
demo-group-stab = Crisis staff
demo-position-tib = Duty officer
demo-position-stabschef = Chief of staff
demo-position-it-jour = IT on call
demo-position-kommunikator-i-beredskap = Communications officer on call
demo-position-krisledningschef = Chair of the crisis committee
demo-channel-everyone = Everyone in { $org }
demo-message-1 = Email and the switchboard have been down since 07:40. We keep in touch here for now.
demo-message-2 = Social services cannot reach the case record system. We are using the paper procedure in the plan.
demo-message-3 = IT is troubleshooting with the supplier. Next situation report at 10:00.
# The demo's external contacts, as the CSV `beredskap import contacts` reads. Numbers
# from 070-174 06 90 on are from the Swedish regulator's range for fiction.
demo-contacts-csv =
    name,organisation,phone,email,call_for,category
    Emergency services,,112,,danger to life or property,Emergency and authorities
    Public information line,,113 13,,information to the public about serious events,Emergency and authorities
    Fibre faults,Lillby City Network,+46 70 174 06 90,faults@citynet.example,fibre and network outages,Suppliers
    Safety alarm centre,Safe Homes Ltd,+46 70 174 06 91,alarm@safehomes.example,the home-care safety alarms,Suppliers
    Power on call,Lillby Energy,+46 70 174 06 92,,power cuts,Suppliers
    Duty officer,County administrative board,+46 70 174 06 93,duty@county.example,coordination in the county,Partners

# The services on the overview: name | owner | alternative, one a line.
demo-services =
    Telephony | IT department, service desk | Work mobiles; numbers in the contact directory
    Switchboard | Contact centre | Notices on the municipality's website and social media
    Email | IT department, service desk | Beredskap for internal messages; phone for outside
    E-services | Digital services unit | Paper forms at reception
    Safety alarms | Home care, alarm team | Extra home visits to alarm users; the alarm centre's spare number
    Case system | Records office | Note by hand, register afterwards
    Care records system | Social services | Printed care plans in a binder at every unit

# The demo's priority list: made-up citizens, numbers from the range kept for fiction.
demo-priority-csv =
    name,address,phone,need,contact_person
    Astrid Holm,12 High Street flat 1,+46 70 174 06 94,Safety alarm; home care four times a day,Lars Holm (son) +46 70 174 06 95
    George Oak,3 Village Road,,Oxygen at home; hard of hearing,Mary Oak (daughter) +46 70 174 06 96
    Brenda Sands,7 School Lane flat 3,+46 70 174 06 97,Safety alarm; insulin,
    Neil Hill,21 River Way,+46 70 174 06 98,Home dialysis,Anne Hill (wife) +46 70 174 06 99

# The demo's status page: the ways to reach the municipality.
demo-status-phone = +46 70 174 06 89
demo-status-address = Town hall, 1 High Street, Lillby
demo-status-hours = Weekdays 8–16
demo-status-note = When the telephones are disturbed: call the reserve number or come to the town hall's reception. Emergencies: 112.
demo-notice-title = Switchboard replacement
demo-notice-body =
    We are replacing the switchboard. While the work goes on you cannot call the municipality's switchboard. Call the reserve number or visit the town hall's reception.
    Safety alarms are not affected.

demo-template-name = IT outage: call the crisis group together
demo-template-message = IT outage across the municipality. The crisis group meets in the operations room at the town hall as soon as possible. Can you come?
demo-template-options = Yes, No
